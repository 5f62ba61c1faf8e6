/**
 * The one way the front end talks to the API: openapi-fetch typed by the generated `paths`, with a
 * fetch underneath that adds what every request needs (session cookie, CSRF token on writes, the
 * current language) and turns failures into one typed error.
 */
import createClient from "openapi-fetch";

import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

const CSRF_URL = "/api/v1/auth/csrf/";
const LOGIN_URL = "/api/v1/auth/login/";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/** The API's error shape `{code, message, errors: {field: [...]}}`, plus the HTTP status. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fieldErrors: Record<string, string[]>;

  constructor(status: number, code: string, message: string, fieldErrors: Record<string, string[]> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fieldErrors = fieldErrors;
  }

  /** The messages for one form field, joined, or undefined: fits `<el-form-item :error>`. */
  field(name: string): string | undefined {
    const messages = this.fieldErrors[name];
    return messages && messages.length ? messages.join(" ") : undefined;
  }

  /** Errors not tied to a field of the form (non_field_errors and any field the form does not show). */
  otherErrors(shown: readonly string[]): string[] {
    return Object.entries(this.fieldErrors)
      .filter(([key]) => !shown.includes(key))
      .flatMap(([key, messages]) => (key === "non_field_errors" ? messages : messages.map((m) => `${key}: ${m}`)));
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }

  get isUnauthorized(): boolean {
    return this.status === 401;
  }
}

/** Flattens DRF's nested field errors ({tags: {"0": ["…"]}}) to {field: [messages]}. */
export function flattenFieldErrors(errors: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const collect = (value: unknown): string[] => {
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(collect);
    if (value && typeof value === "object") return Object.values(value).flatMap(collect);
    return [];
  };
  if (errors && typeof errors === "object" && !Array.isArray(errors)) {
    for (const [key, value] of Object.entries(errors)) out[key] = collect(value);
  }
  return out;
}

export function toApiError(status: number, body: unknown, fallback = ""): ApiError {
  if (body && typeof body === "object" && "code" in body && "message" in body) {
    const shaped = body as { code: unknown; message: unknown; errors?: unknown };
    return new ApiError(status, String(shaped.code), String(shaped.message), flattenFieldErrors(shaped.errors));
  }
  return new ApiError(status, status ? `http_${status}` : "network", fallback || `HTTP ${status}`);
}

// ---------------------------------------------------------------------------------------- settings
interface ClientSettings {
  /** The UI language ("zh-CN" or "en"), sent as Accept-Language so messages come back in it. */
  locale: () => string;
  /** Called on any 401 (except a failed login): the app sends the user to the login page. */
  onUnauthorized: () => void;
}

const settings: ClientSettings = { locale: () => "zh-CN", onUnauthorized: () => undefined };

export function configureClient(next: Partial<ClientSettings>): void {
  Object.assign(settings, next);
}

/** Django's language codes: zh-hans and en. */
export function acceptLanguage(locale: string): string {
  return locale.toLowerCase().startsWith("en") ? "en" : "zh-hans";
}

// -------------------------------------------------------------------------------------------- CSRF
let csrfToken: string | null = null;
let csrfPending: Promise<string> | null = null;

/** Login and logout rotate the token: forget it so the next write fetches the new one. */
export function resetCsrfToken(): void {
  csrfToken = null;
  csrfPending = null;
}

async function csrf(): Promise<string> {
  if (csrfToken) return csrfToken;
  csrfPending ??= globalThis
    .fetch(CSRF_URL, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(async (response) => {
      const body = (await response.json()) as { csrf_token?: string };
      if (!response.ok || !body.csrf_token) throw toApiError(response.status, body);
      csrfToken = body.csrf_token;
      return csrfToken;
    })
    .finally(() => {
      csrfPending = null;
    });
  return csrfPending;
}

// ------------------------------------------------------------------------------------------- fetch
async function send(request: Request): Promise<Response> {
  const headers = new Headers(request.headers);
  headers.set("Accept", "application/json");
  headers.set("Accept-Language", acceptLanguage(settings.locale()));
  if (!SAFE_METHODS.has(request.method.toUpperCase())) headers.set("X-CSRFToken", await csrf());
  return globalThis.fetch(new Request(request, { headers, credentials: "same-origin" }));
}

/** fetch for openapi-fetch: retries once on a stale CSRF token and reports 401s. */
export async function seedbedFetch(request: Request): Promise<Response> {
  const spare = request.clone();
  let response = await send(request);
  if (response.status === 403 && !SAFE_METHODS.has(request.method.toUpperCase())) {
    const body = (await response.clone().json().catch(() => null)) as { code?: string } | null;
    if (body?.code === "csrf_failed") {
      resetCsrfToken();
      response = await send(spare);
    }
  }
  if (response.status === 401 && !new URL(request.url, "http://x").pathname.endsWith(LOGIN_URL)) {
    settings.onUnauthorized();
  }
  return response;
}

export const api = createClient<paths>({
  baseUrl: "",
  fetch: (request: Request) => seedbedFetch(request),
});

// ------------------------------------------------------------------------------------- unwrapping
interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Awaits an openapi-fetch call and returns its data, or throws ApiError. */
export async function unwrap<T>(call: Promise<Outcome<T>>): Promise<T> {
  let outcome: Outcome<T>;
  try {
    outcome = await call;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, "network", error instanceof Error ? error.message : String(error));
  }
  const { data, error, response } = outcome;
  if (!response.ok || error !== undefined) throw toApiError(response.status, error, response.statusText);
  return data as T;
}

export interface Paginated<T> {
  count: number;
  next?: string | null;
  previous?: string | null;
  results: T[];
}

export interface Page<T> {
  items: T[];
  count: number;
  hasNext: boolean;
  hasPrevious: boolean;
}

/** Unwraps DRF's page `{count, next, previous, results}`. */
export async function page<T>(call: Promise<Outcome<Paginated<T>>>): Promise<Page<T>> {
  const body = await unwrap(call);
  return { items: body.results, count: body.count, hasNext: !!body.next, hasPrevious: !!body.previous };
}

/** Every row of a paginated list, page after page (for exports); stops at `limit` rows. */
export async function all<T>(
  fetchPage: (page: number) => Promise<Outcome<Paginated<T>>>,
  limit = 100_000,
): Promise<T[]> {
  const rows: T[] = [];
  for (let number = 1; ; number += 1) {
    const current = await page(fetchPage(number));
    rows.push(...current.items);
    if (!current.hasNext || !current.items.length || rows.length >= limit) return rows;
  }
}
