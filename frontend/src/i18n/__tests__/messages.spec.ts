import { describe, expect, it } from "vitest";

import { messages } from "@/i18n";

// The merged messages: base files plus every locales/<area>.<locale>.ts module.
const zhCN = messages["zh-CN"];
const en = messages.en;

function keys(messages: object, prefix = ""): string[] {
  return Object.entries(messages).flatMap(([key, value]) =>
    typeof value === "string" ? [`${prefix}${key}`] : keys(value as object, `${prefix}${key}.`),
  );
}

function values(messages: object): string[] {
  return Object.values(messages).flatMap((value) => (typeof value === "string" ? [value] : values(value as object)));
}

describe("messages", () => {
  it("has the same keys in both languages, none empty", () => {
    expect(keys(en).sort()).toEqual(keys(zhCN).sort());
    expect(values(zhCN).filter((v) => !v.trim())).toEqual([]);
    expect(values(en).filter((v) => !v.trim())).toEqual([]);
  });

  it("uses the same placeholders in both languages", () => {
    const placeholders = (text: string) => [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();
    // values() once per language: calling it per key made the test quadratic in the number of messages.
    const zhValues = values(zhCN);
    const enValues = values(en);
    const zh = Object.fromEntries(keys(zhCN).map((k, i) => [k, zhValues[i]!]));
    const english = Object.fromEntries(keys(en).map((k, i) => [k, enValues[i]!]));
    for (const key of Object.keys(zh)) expect([key, placeholders(english[key]!)]).toEqual([key, placeholders(zh[key]!)]);
  });
});
