import { baseCompile } from "@intlify/message-compiler";
import { describe, expect, it } from "vitest";

import { messages } from "@/i18n";

function entries(tree: object, prefix = ""): [string, string][] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === "string" ? [[`${prefix}${key}`, value] as [string, string]] : entries(value as object, `${prefix}${key}.`),
  );
}

// vue-i18n compiles a message the first time it is shown: a stray @, |, { or } breaks it there, at run
// time, in front of the user ("SyntaxError: 10"). Compile every message of every language now.
describe("message syntax", () => {
  it("compiles every message", () => {
    const broken: string[] = [];
    for (const [locale, tree] of Object.entries(messages)) {
      for (const [key, text] of entries(tree)) {
        baseCompile(text, { onError: (error) => broken.push(`${locale} ${key}: ${error.message} in "${text}"`) });
      }
    }
    expect(broken).toEqual([]);
  });
});
