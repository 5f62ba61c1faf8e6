import { describe, expect, it } from "vitest";

import type { Schemas } from "@/api/client";
import { daysBetween, firmDeadlines } from "@/views/deadlines/utils";

const title = (id: number, programme: string, valid_until: string | null) =>
  ({ id, programme, valid_until }) as unknown as Schemas["FirmTitle"];
const deadline = (id: number, programme: string, kind: string, due_on: string, opens_on: string | null = null) =>
  ({ id, programme, kind, due_on, opens_on, name: `${programme}-${kind}` }) as unknown as Schemas["ProgrammeDeadline"];
const describe_ = { expiry: (t: Schemas["FirmTitle"]) => `ends ${t.programme}`, deadline: (d: Schemas["ProgrammeDeadline"]) => d.name };

describe("a firm's deadlines", () => {
  it("lists expiries, reports of held programmes and windows of the others, soonest first", () => {
    const rows = firmDeadlines(
      "2026-11-27",
      [title(1, "HNTE", "2027-03-01"), title(2, "SRDI", "2030-01-01"), title(3, "TSME", null)],
      [
        deadline(10, "HNTE", "annual_report", "2027-05-31"),
        deadline(11, "LITTLE_GIANT", "data_update", "2027-05-31"),
        deadline(12, "GAZELLE", "application_window", "2027-04-30", "2027-03-01"),
        deadline(13, "HNTE", "application_window", "2027-06-30"),
        deadline(10, "HNTE", "annual_report", "2026-05-31"),
      ],
      [{ deadline: 10, year: 2027 } as unknown as Schemas["DeadlineCompletion"]],
      describe_,
    );
    expect(rows.map((r) => [r.date, r.kind, r.programme, r.done ?? null])).toEqual([
      ["2027-03-01", "expiry", "HNTE", null],
      ["2027-04-30", "window", "GAZELLE", null],
      ["2027-05-31", "report", "HNTE", true],
    ]);
    expect(rows[1]!.opens).toBe("2027-03-01");
  });

  it("counts days across months", () => {
    expect(daysBetween("2026-11-27", "2026-12-27")).toBe(30);
    expect(daysBetween("2026-11-27", "2026-11-20")).toBe(-7);
  });
});
