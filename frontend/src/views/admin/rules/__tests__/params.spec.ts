import { describe, expect, it } from "vitest";

import { fromFields, ParamError, prettyJson, sameValue, toFields } from "../params";

const hnteRd = {
  bands: [{ min_ratio: 0.05, revenue_max: 50000000 }, { min_ratio: 0.03 }],
  years: 3,
  rd_field: "rd_expense",
  revenue_field: ["sales_revenue", "operating_revenue"],
  part_of_denominator: true,
};

describe("rule params as fields", () => {
  it("gives each kind of value its own input and round-trips unchanged", () => {
    const fields = toFields(hnteRd);
    expect(fields.map((f) => [f.key, f.kind])).toEqual([
      ["bands", "json"],
      ["years", "number"],
      ["rd_field", "string"],
      ["revenue_field", "words"],
      ["part_of_denominator", "boolean"],
    ]);
    expect(sameValue(fromFields(fields), hnteRd)).toBe(true);
  });

  it("carries an edited threshold and notices the change", () => {
    const fields = toFields({ min: 0.15, field: "operating_revenue", years: 3 });
    fields[0]!.number = 0.2;
    const params = fromFields(fields);
    expect(params).toEqual({ min: 0.2, field: "operating_revenue", years: 3 });
    expect(sameValue(params, { min: 0.15, field: "operating_revenue", years: 3 })).toBe(false);
  });

  it("refuses broken JSON and an empty number, naming the parameter", () => {
    const fields = toFields(hnteRd);
    fields[0]!.text = "[{min_ratio: 0.05";
    expect(() => fromFields(fields)).toThrow(ParamError);
    try {
      fromFields(fields);
    } catch (error) {
      expect((error as ParamError).key).toBe("bands");
    }
    const numbers = toFields({ min_years: 1 });
    numbers[0]!.number = null;
    expect(() => fromFields(numbers)).toThrow(/number/);
  });

  it("writes lists of objects one per line", () => {
    expect(prettyJson([{ a: 1 }, { b: 2 }])).toBe('[\n  {"a":1},\n  {"b":2}\n]');
    expect(sameValue({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 })).toBe(true);
  });
});
