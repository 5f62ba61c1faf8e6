import { describe, expect, it } from "vitest";

import { isDecimal, wanToYuan, yuanToWan } from "@/views/figures/utils/money";

describe("万元 ↔ yuan", () => {
  it("converts entered 万元 to yuan exactly", () => {
    expect(wanToYuan("1234.5678")).toBe("12345678.00");
    expect(wanToYuan("0.01")).toBe("100.00");
    expect(wanToYuan("0.000001")).toBe("0.01");
    expect(wanToYuan("1,000")).toBe("10000000.00");
    expect(wanToYuan("-12.5")).toBe("-125000.00");
    expect(wanToYuan("0")).toBe("0.00");
    expect(wanToYuan("  ")).toBeNull();
    // Floating point would give 1150000.0000000002 for 115 × 10000.1… – the text route cannot.
    expect(wanToYuan("115.0001")).toBe("1150001.00");
    expect(() => wanToYuan("12万")).toThrow();
  });

  it("shows stored yuan as 万元 for editing, and back again unchanged", () => {
    expect(yuanToWan("12345678.00")).toBe("1234.5678");
    expect(yuanToWan("100.00")).toBe("0.01");
    expect(yuanToWan("-125000.00")).toBe("-12.5");
    expect(yuanToWan("0.00")).toBe("0");
    expect(yuanToWan(null)).toBe("");
    for (const yuan of ["98765432.10", "1.00", "50000000.00", "-3.25"]) {
      expect(wanToYuan(yuanToWan(yuan))).toBe(yuan);
    }
  });

  it("recognises numbers", () => {
    expect(isDecimal("12.5")).toBe(true);
    expect(isDecimal("1,200")).toBe(true);
    expect(isDecimal("abc")).toBe(false);
    expect(isDecimal("1.2.3")).toBe(false);
  });
});
