import { describe, expect, it } from "vitest";

import { neutralise, toCsv } from "@/utils/csv";

describe("CSV export", () => {
  it("neutralises cells a spreadsheet would run as formulas", () => {
    expect(neutralise("=HYPERLINK(\"x\")")).toBe("'=HYPERLINK(\"x\")");
    expect(neutralise("+86 23")).toBe("'+86 23");
    expect(neutralise("-1")).toBe("'-1");
    expect(neutralise("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(neutralise("重庆=科技")).toBe("重庆=科技");
    expect(neutralise(null)).toBe("");
  });

  it("quotes commas, quotes and line breaks, with a BOM for Excel", () => {
    const csv = toCsv(["企业名称", "标签"], [["甲,乙", 'say "hi"'], ["=1+1", "a\nb"]]);
    expect(csv).toBe('\ufeff企业名称,标签\r\n"甲,乙","say ""hi"""\r\n\'=1+1,"a\nb"\r\n');
  });
});
