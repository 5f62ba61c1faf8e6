/**
 * A criterion's `params` as editable fields: numbers, text and switches get their own input, lists of
 * words a tag input, and anything nested (bands, threshold tables) a JSON text box checked before sending.
 */
export type ParamKind = "number" | "string" | "boolean" | "words" | "json";

export interface ParamField {
  key: string;
  kind: ParamKind;
  number: number | null;
  text: string;
  flag: boolean;
  words: string[];
}

export function kindOf(value: unknown): ParamKind {
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "string") return "string";
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return "words";
  return "json";
}

/** JSON that stays readable: a list of objects gets one object per line. */
export function prettyJson(value: unknown): string {
  if (Array.isArray(value) && value.length && value.every((item) => item && typeof item === "object")) {
    return `[\n${value.map((item) => `  ${JSON.stringify(item)}`).join(",\n")}\n]`;
  }
  return JSON.stringify(value, null, 2);
}

export function toFields(params: unknown): ParamField[] {
  if (!params || typeof params !== "object" || Array.isArray(params)) return [];
  return Object.entries(params as Record<string, unknown>).map(([key, value]) => {
    const kind = kindOf(value);
    return {
      key,
      kind,
      number: kind === "number" ? (value as number) : null,
      text: kind === "string" ? (value as string) : kind === "json" ? prettyJson(value) : "",
      flag: kind === "boolean" ? (value as boolean) : false,
      words: kind === "words" ? [...(value as string[])] : [],
    };
  });
}

export class ParamError extends Error {
  readonly key: string;

  constructor(key: string, message: string) {
    super(message);
    this.key = key;
  }
}

/** Back to the params object; a missing number or broken JSON throws ParamError naming the field. */
export function fromFields(fields: readonly ParamField[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    switch (field.kind) {
      case "number":
        if (field.number === null || Number.isNaN(field.number)) throw new ParamError(field.key, "number");
        out[field.key] = field.number;
        break;
      case "boolean":
        out[field.key] = field.flag;
        break;
      case "string":
        out[field.key] = field.text;
        break;
      case "words":
        out[field.key] = [...field.words];
        break;
      default:
        try {
          out[field.key] = JSON.parse(field.text);
        } catch (error) {
          throw new ParamError(field.key, error instanceof Error ? error.message : String(error));
        }
    }
  }
  return out;
}

/** Same JSON value, whatever the key order. */
export function sameValue(a: unknown, b: unknown): boolean {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === "object") {
      return Object.fromEntries(
        Object.keys(value as object)
          .sort()
          .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
      );
    }
    return value;
  };
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
