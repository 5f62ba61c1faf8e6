import { describe, expect, it } from "vitest";

import {
  allows,
  apiQuery,
  defaultFilters,
  dueBucket,
  filtersFromQuery,
  isFiltered,
  queryFromFilters,
} from "@/views/flags/utils/filters";

describe("flag inbox filters", () => {
  it("round-trips through the address, keeping only what differs from the defaults", () => {
    const filters = {
      ...defaultFilters(),
      q: "威马",
      kinds: ["renewal_due", "expired"] as const,
      states: ["acknowledged"] as const,
      programme: "HNTE",
      zone: 3,
      dueFrom: "2026-01-01",
      dueTo: "2026-12-31",
      page: 2,
      pageSize: 50,
    };
    const query = queryFromFilters({ ...filters, kinds: [...filters.kinds], states: [...filters.states] });
    expect(query).toEqual({
      q: "威马",
      kind: "renewal_due,expired",
      state: "acknowledged",
      programme: "HNTE",
      zone: "3",
      due_from: "2026-01-01",
      due_to: "2026-12-31",
      page: "2",
      size: "50",
    });
    expect(filtersFromQuery(query as never)).toEqual({ ...filters, kinds: [...filters.kinds], states: [...filters.states] });
    expect(queryFromFilters(defaultFilters())).toEqual({});
  });

  it("drops what a hand-edited address gets wrong", () => {
    const filters = filtersFromQuery({ kind: "renewal_due,nonsense", state: ["open", "gone"], zone: "x", size: "7",
      due_from: "yesterday", page: "-1", ordering: "password", programme: "srdi" });
    expect(filters.kinds).toEqual(["renewal_due"]);
    expect(filters.states).toEqual(["open"]);
    expect(filters.zone).toBeNull();
    expect(filters.pageSize).toBe(20);
    expect(filters.dueFrom).toBe("");
    expect(filters.page).toBe(1);
    expect(filters.ordering).toBe("due_date");
    expect(filters.programme).toBe("SRDI");
  });

  it("asks the API for the flags that are not closed unless states are chosen", () => {
    expect(apiQuery(defaultFilters()).state).toEqual(["open", "acknowledged", "snoozed"]);
    expect(apiQuery({ ...defaultFilters(), states: ["dismissed"] }).state).toEqual(["dismissed"]);
    const query = apiQuery({ ...defaultFilters(), zone: 2, dueTo: "2026-06-30", q: "" });
    expect(query.zone).toEqual([2]);
    expect(query.due_before).toBe("2026-06-30");
    expect(query.q).toBeUndefined();
  });

  it("knows which filters narrow the list", () => {
    expect(isFiltered(defaultFilters())).toBe(false);
    expect(isFiltered({ ...defaultFilters(), page: 3, ordering: "-due_date" })).toBe(false);
    expect(isFiltered({ ...defaultFilters(), kinds: ["expired"] })).toBe(true);
  });

  it("follows the API's state rules for actions", () => {
    expect(allows("acknowledge", "open")).toBe(true);
    expect(allows("acknowledge", "acknowledged")).toBe(false);
    expect(allows("dismiss", "snoozed")).toBe(true);
    expect(allows("reopen", "open")).toBe(false);
    expect(allows("reopen", "dismissed")).toBe(true);
  });

  it("reads due dates", () => {
    expect(dueBucket(null)).toBe("none");
    expect(dueBucket(-3)).toBe("overdue");
    expect(dueBucket(0)).toBe("today");
    expect(dueBucket(12)).toBe("soon");
    expect(dueBucket(90)).toBe("later");
  });
});
