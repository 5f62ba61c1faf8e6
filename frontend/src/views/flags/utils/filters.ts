import type { LocationQuery, LocationQueryRaw } from "vue-router";

import type { operations } from "@/api/schema";

/** The flag list's sort keys, as the API lists them (prefix - for descending). */
export type FlagOrdering = NonNullable<NonNullable<operations["flags_list"]["parameters"]["query"]>["ordering"]>;

/** The flag kinds, states and severities, in the API's order. */
export const FLAG_KINDS = [
  "renewal_due",
  "expired",
  "report_due",
  "threshold_reached",
  "eligible",
  "upgrade_candidate",
  "near_miss",
  "data_missing",
] as const;
export const FLAG_STATES = ["open", "acknowledged", "snoozed", "resolved", "dismissed"] as const;
export const OPEN_STATES = ["open", "acknowledged", "snoozed"] as const;
export type FlagKind = (typeof FLAG_KINDS)[number];
export type FlagState = (typeof FLAG_STATES)[number];
export type FlagAction = "acknowledge" | "resolve" | "snooze" | "dismiss" | "reopen";

/** Which states allow which action (the API's rule; flags in other states are skipped by the bulk action). */
export const ACTION_STATES: Record<FlagAction, readonly FlagState[]> = {
  acknowledge: ["open"],
  resolve: OPEN_STATES,
  snooze: OPEN_STATES,
  dismiss: OPEN_STATES,
  reopen: ["resolved", "dismissed", "snoozed"],
};

export function allows(action: FlagAction, state: string): boolean {
  return (ACTION_STATES[action] as readonly string[]).includes(state);
}

/** The inbox's filters; they live in the address so a reload, a link or the back button keeps them. */
export interface FlagFilters {
  q: string;
  kinds: FlagKind[];
  /** Empty: every state that is not closed (open, acknowledged, snoozed). */
  states: FlagState[];
  programme: string;
  zone: number | null;
  dueFrom: string;
  dueTo: string;
  ordering: string;
  page: number;
  pageSize: number;
}

export const PAGE_SIZES = [20, 50, 100];

export function defaultFilters(): FlagFilters {
  return {
    q: "",
    kinds: [],
    states: [],
    programme: "",
    zone: null,
    dueFrom: "",
    dueTo: "",
    ordering: "due_date",
    page: 1,
    pageSize: 20,
  };
}

const many = (value: unknown): string[] =>
  (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value])
    .flatMap((v) => String(v ?? "").split(","))
    .map((v) => v.trim())
    .filter(Boolean);
const one = (value: unknown): string => many(value)[0] ?? "";
const num = (value: unknown): number | null => {
  const text = one(value);
  const n = Number(text);
  return text !== "" && Number.isInteger(n) && n > 0 ? n : null;
};
const isDate = (value: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(value);
const ORDERINGS = ["due_date", "-due_date", "severity", "-severity", "first_seen", "-first_seen", "-state_changed_at"];

export function filtersFromQuery(query: LocationQuery): FlagFilters {
  const base = defaultFilters();
  const size = num(query.size);
  const dueFrom = one(query.due_from);
  const dueTo = one(query.due_to);
  return {
    q: one(query.q),
    kinds: many(query.kind).filter((k): k is FlagKind => (FLAG_KINDS as readonly string[]).includes(k)),
    states: many(query.state).filter((s): s is FlagState => (FLAG_STATES as readonly string[]).includes(s)),
    programme: one(query.programme).toUpperCase(),
    zone: num(query.zone),
    dueFrom: isDate(dueFrom) ? dueFrom : "",
    dueTo: isDate(dueTo) ? dueTo : "",
    ordering: ORDERINGS.includes(one(query.ordering)) ? one(query.ordering) : base.ordering,
    page: num(query.page) ?? base.page,
    pageSize: size !== null && PAGE_SIZES.includes(size) ? size : base.pageSize,
  };
}

/** The address for these filters: only what differs from the defaults. */
export function queryFromFilters(filters: FlagFilters): LocationQueryRaw {
  const base = defaultFilters();
  const query: LocationQueryRaw = {};
  if (filters.q) query.q = filters.q;
  if (filters.kinds.length) query.kind = filters.kinds.join(",");
  if (filters.states.length) query.state = filters.states.join(",");
  if (filters.programme) query.programme = filters.programme;
  if (filters.zone !== null) query.zone = String(filters.zone);
  if (filters.dueFrom) query.due_from = filters.dueFrom;
  if (filters.dueTo) query.due_to = filters.dueTo;
  if (filters.ordering !== base.ordering) query.ordering = filters.ordering;
  if (filters.page !== base.page) query.page = String(filters.page);
  if (filters.pageSize !== base.pageSize) query.size = String(filters.pageSize);
  return query;
}

/** The query of GET /api/v1/flags/ for these filters (without page). */
export function apiQuery(filters: FlagFilters) {
  return {
    q: filters.q || undefined,
    kind: filters.kinds.length ? [...filters.kinds] : undefined,
    state: filters.states.length ? [...filters.states] : [...OPEN_STATES],
    programme: filters.programme || undefined,
    zone: filters.zone !== null ? [filters.zone] : undefined,
    due_after: filters.dueFrom || undefined,
    due_before: filters.dueTo || undefined,
    ordering: filters.ordering as FlagOrdering,
  };
}

export function isFiltered(filters: FlagFilters): boolean {
  const { page: _p, pageSize: _s, ordering: _o, ...rest } = filters;
  const { page: _bp, pageSize: _bs, ordering: _bo, ...base } = defaultFilters();
  return JSON.stringify(rest) !== JSON.stringify(base);
}

/** How a flag's due date reads: "12 days", "Due today", "3 days overdue". */
export function dueBucket(daysLeft: number | null | undefined): "none" | "overdue" | "today" | "soon" | "later" {
  if (daysLeft === null || daysLeft === undefined) return "none";
  if (daysLeft < 0) return "overdue";
  if (daysLeft === 0) return "today";
  return daysLeft <= 30 ? "soon" : "later";
}
