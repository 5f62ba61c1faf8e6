/**
 * CSV for spreadsheets. A cell that starts with = + - @ (or a tab / carriage return) would be read as
 * a formula by Excel or WPS, so it gets a leading apostrophe (CSV injection).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutralise(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  return FORMULA_START.test(text) ? `'${text}` : text;
}

function quote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const lines = [headers, ...rows].map((row) => row.map((cell) => quote(neutralise(cell))).join(","));
  // The byte-order mark makes Excel read the file as UTF-8 (Chinese names).
  return `\ufeff${lines.join("\r\n")}\r\n`;
}

export function downloadText(filename: string, text: string, type = "text/csv;charset=utf-8"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
