import { describe, expect, it } from "vitest";

import {
  bridge,
  diffRows,
  drillFromQuery,
  drillQuery,
  firmsApiQuery,
  formatPercent,
  formatYi,
  funnelSteps,
  pickYear,
  yearOptions,
} from "../report";

describe("bridge", () => {
  it("adds up the demo park's 高企 line of 2022", () => {
    const hnte = { opening: 98, new: 22, moved_in: 0, lapsed: 0, revoked: 0, left_park: 0, closing: 120 };
    expect(bridge(hnte)).toEqual({ net: 22, exits: 0, balanced: true });
  });

  it("notices a bridge that does not add up", () => {
    const broken = { opening: 10, new: 2, moved_in: 1, lapsed: 1, revoked: 1, left_park: 1, closing: 12 };
    expect(bridge(broken)).toEqual({ net: 2, exits: 3, balanced: false });
  });
});

describe("figures", () => {
  it("prints growth with two decimals and nothing without an opening", () => {
    expect(formatPercent(22.45)).toBe("22.45%");
    expect(formatPercent(381.8181)).toBe("381.82%");
    expect(formatPercent(0)).toBe("0.00%");
    expect(formatPercent(null)).toBeNull();
  });

  it("prints yuan as 亿元", () => {
    expect(formatYi("6890000000.00")).toBe("68.90");
    expect(formatYi(null)).toBe("");
  });
});

describe("years", () => {
  it("offers this year back nine years, newest first", () => {
    expect(yearOptions(2026)).toEqual([2026, 2025, 2024, 2023, 2022, 2021, 2020, 2019, 2018, 2017]);
  });

  it("opens on the year in the address, or the last complete year", () => {
    expect(pickYear("2022", 2026)).toBe(2022);
    expect(pickYear(["2023"], 2026)).toBe(2023);
    expect(pickYear("2027", 2026)).toBe(2025);
    expect(pickYear("abc", 2026)).toBe(2025);
    expect(pickYear(undefined, 2026)).toBe(2025);
  });
});

describe("funnelSteps", () => {
  it("counts firms on a rung or higher, so the funnel never widens going up", () => {
    const steps = funnelSteps([
      { code: "SRDI", name: "专精特新", rung: 2, holding: 50, on_top: 49 },
      { code: "ISME", name: "创新型", rung: 1, holding: 35, on_top: 23 },
      { code: "CHAMPION", name: "单项冠军", rung: 4, holding: 0, on_top: 0 },
      { code: "LITTLE_GIANT", name: "小巨人", rung: 3, holding: 2, on_top: 2 },
    ]);
    expect(steps.map((s) => [s.code, s.atLeast])).toEqual([
      ["ISME", 74],
      ["SRDI", 51],
      ["LITTLE_GIANT", 2],
      ["CHAMPION", 0],
    ]);
  });
});

describe("drill-down addresses", () => {
  it("round-trips a line's bucket through the address", () => {
    const query = drillQuery({ zone: 3, line: "HNTE", bucket: "new" });
    expect(query).toEqual({ zone: "3", line: "HNTE", bucket: "new" });
    const target = drillFromQuery(2022, query as never);
    expect(firmsApiQuery(target)).toEqual({ line: "HNTE", bucket: "new" });
    expect(target.zone).toBe(3);
  });

  it("ignores an unknown bucket and names nothing without a number", () => {
    const target = drillFromQuery(2022, { line: "hnte", bucket: "everything" });
    expect(target.line).toBe("HNTE");
    expect(firmsApiQuery(target)).toBeNull();
    expect(firmsApiQuery(drillFromQuery(2022, { monthly_upgrades: "true" }))).toEqual({ monthly_upgrades: "true" });
    expect(firmsApiQuery(drillFromQuery(2022, { tag_group: "digital" }))).toEqual({ tag_group: "DIGITAL" });
  });
});

describe("diffRows", () => {
  it("lists only the numbers that changed, in bridge order", () => {
    const rows = diffRows([
      { code: "ISME", name: "创新型", status: "same", buckets: {} },
      {
        code: "HNTE",
        name: "高企",
        status: "changed",
        buckets: {
          closing: { published: 120, live: 121, added: [{ id: 7, name: "甲" }], removed: [] },
          new: { published: 22, live: 23, added: [{ id: 7, name: "甲" }], removed: [] },
        },
      },
    ]);
    expect(rows.map((r) => [r.line, r.bucket, r.published, r.live])).toEqual([
      ["HNTE", "new", 22, 23],
      ["HNTE", "closing", 120, 121],
    ]);
  });
});
