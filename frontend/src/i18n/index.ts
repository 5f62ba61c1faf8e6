import { createI18n } from "vue-i18n";

import en from "./locales/en";
import zhCN from "./locales/zh-CN";

export type Locale = "zh-CN" | "en";
export const LOCALES: Locale[] = ["zh-CN", "en"];
const STORAGE_KEY = "seedbed.locale";

type Tree = { [key: string]: string | Tree };

/**
 * Feature messages live in their own files next to the base ones, so that several people can add
 * pages without editing the same file: `locales/<area>.zh-CN.ts` and `locales/<area>.en.ts`, each
 * `export default { <topLevelKey>: {...} }`. They are merged into the base messages here; a top-level
 * key already taken (by the base file or another module) is an error, not a silent overwrite.
 */
const zhModules = import.meta.glob<{ default: Tree }>("./locales/*.zh-CN.ts", { eager: true });
const enModules = import.meta.glob<{ default: Tree }>("./locales/*.en.ts", { eager: true });

function merge(base: Tree, modules: Record<string, { default: Tree }>): Tree {
  const merged: Tree = { ...base };
  for (const [file, mod] of Object.entries(modules)) {
    for (const [key, value] of Object.entries(mod.default)) {
      if (key in merged) throw new Error(`i18n: top-level key "${key}" of ${file} is already defined`);
      merged[key] = value;
    }
  }
  return merged;
}

/** Every message of every language: the base files plus the feature modules. */
export const messages: Record<Locale, Tree> = {
  "zh-CN": merge(zhCN as Tree, zhModules),
  en: merge(en as Tree, enModules),
};

function initialLocale(): Locale {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  return saved === "en" || saved === "zh-CN" ? saved : "zh-CN";
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: "zh-CN",
  messages,
  // A missing key is a bug: say so loudly in development and tests, never show the key silently.
  missingWarn: true,
  fallbackWarn: false,
});

export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale;
}

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  globalThis.localStorage?.setItem(STORAGE_KEY, locale);
  document.documentElement.lang = locale;
}
