/**
 * Figures are entered in 万元 (how Chinese statements and forms state them) and stored in yuan with
 * two decimals. The conversion works on the decimal text, never through floating point.
 */
const DECIMAL = /^-?\d+(\.\d+)?$/;

export function isDecimal(text: string): boolean {
  return DECIMAL.test(text.trim().replace(/,/g, ""));
}

/** "1234.5678" 万元 → "12345678.00" yuan; "" → null; more than six decimals are cut (below a fen). */
export function wanToYuan(text: string): string | null {
  const clean = text.trim().replace(/,/g, "");
  if (!clean) return null;
  if (!DECIMAL.test(clean)) throw new Error(`not a number: ${text}`);
  const negative = clean.startsWith("-");
  const [whole = "0", fraction = ""] = clean.replace(/^-/, "").split(".");
  const digits = (fraction + "000000").slice(0, 6);
  const yuan = `${whole}${digits.slice(0, 4)}`.replace(/^0+(?=\d)/, "");
  const result = `${yuan}.${digits.slice(4, 6)}`;
  return negative && /[1-9]/.test(result) ? `-${result}` : result;
}

/** "12345678.90" yuan → "1234.56789" 万元 (trailing zeros dropped); null → "". */
export function yuanToWan(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "";
  const text = String(value);
  if (!DECIMAL.test(text)) return text;
  const negative = text.startsWith("-");
  const [whole = "0", fraction = ""] = text.replace(/^-/, "").split(".");
  const padded = whole.padStart(5, "0");
  const wan = padded.slice(0, -4).replace(/^0+(?=\d)/, "");
  const rest = `${padded.slice(-4)}${fraction}`.replace(/0+$/, "");
  const result = rest ? `${wan}.${rest}` : wan;
  return negative && result !== "0" ? `-${result}` : result;
}
