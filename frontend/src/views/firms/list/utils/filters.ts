import type { LocationQuery, LocationQueryRaw } from "vue-router";

import type { operations } from "@/api/schema";

/** The firm list's sort keys, as the API lists them (prefix - for descending). */
export type FirmOrdering = NonNullable<NonNullable<operations["firms_list"]["parameters"]["query"]>["ordering"]>;

/** The firm list's filters; they live in the address so a reload or the back button keeps them. */
export interface FirmFilters {
  q: string;
  zone: number | null;
  section: string;
  division: string;
  tag: string;
  inPark: "" | "true" | "false";
  registeredFrom: string;
  registeredTo: string;
  assignedStaff: number | null;
  ordering: string;
  page: number;
  pageSize: number;
}

export const PAGE_SIZES = [20, 50, 100];

export function defaultFilters(): FirmFilters {
  return {
    q: "",
    zone: null,
    section: "",
    division: "",
    tag: "",
    inPark: "true",
    registeredFrom: "",
    registeredTo: "",
    assignedStaff: null,
    ordering: "name",
    page: 1,
    pageSize: 20,
  };
}

const one = (value: unknown): string => (Array.isArray(value) ? String(value[0] ?? "") : String(value ?? ""));
const num = (value: unknown): number | null => {
  const n = Number(one(value));
  return one(value) !== "" && Number.isFinite(n) ? n : null;
};

export function filtersFromQuery(query: LocationQuery): FirmFilters {
  const base = defaultFilters();
  const inPark = one(query.in_park ?? base.inPark);
  return {
    q: one(query.q),
    zone: num(query.zone),
    section: one(query.section),
    division: one(query.division),
    tag: one(query.tag),
    inPark: inPark === "true" || inPark === "false" ? inPark : "",
    registeredFrom: one(query.from),
    registeredTo: one(query.to),
    assignedStaff: num(query.staff),
    ordering: one(query.ordering) || base.ordering,
    page: num(query.page) ?? base.page,
    pageSize: PAGE_SIZES.includes(num(query.size) ?? 0) ? (num(query.size) as number) : base.pageSize,
  };
}

export function queryFromFilters(f: FirmFilters): LocationQueryRaw {
  const base = defaultFilters();
  const query: LocationQueryRaw = {};
  if (f.q) query.q = f.q;
  if (f.zone !== null) query.zone = String(f.zone);
  if (f.section) query.section = f.section;
  if (f.division) query.division = f.division;
  if (f.tag) query.tag = f.tag;
  query.in_park = f.inPark || "all";
  if (f.registeredFrom) query.from = f.registeredFrom;
  if (f.registeredTo) query.to = f.registeredTo;
  if (f.assignedStaff !== null) query.staff = String(f.assignedStaff);
  if (f.ordering !== base.ordering) query.ordering = f.ordering;
  if (f.page !== 1) query.page = String(f.page);
  if (f.pageSize !== base.pageSize) query.size = String(f.pageSize);
  return query;
}

/** The API's query parameters for these filters (page and page size apart). */
export function apiQuery(f: FirmFilters) {
  return {
    ...(f.q.trim() ? { q: f.q.trim() } : {}),
    ...(f.zone !== null ? { zone: [f.zone] } : {}),
    ...(f.division ? { industry_division: f.division } : f.section ? { industry_section: f.section } : {}),
    ...(f.tag.trim() ? { tag: [f.tag.trim()] } : {}),
    ...(f.inPark ? { in_park: f.inPark === "true" } : {}),
    ...(f.registeredFrom ? { registration_date_after: f.registeredFrom } : {}),
    ...(f.registeredTo ? { registration_date_before: f.registeredTo } : {}),
    ...(f.assignedStaff !== null ? { assigned_staff: f.assignedStaff } : {}),
    // The API breaks ties by id itself, so pages stay stable when many rows share a value.
    ordering: f.ordering as FirmOrdering,
  };
}

export function isFiltered(f: FirmFilters): boolean {
  const base = defaultFilters();
  return (
    !!f.q.trim() ||
    f.zone !== null ||
    !!f.section ||
    !!f.division ||
    !!f.tag.trim() ||
    f.inPark !== base.inPark ||
    !!f.registeredFrom ||
    !!f.registeredTo ||
    f.assignedStaff !== null
  );
}
