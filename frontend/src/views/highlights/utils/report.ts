/** Pure helpers of the highlights pages: bridge columns, funnel steps, figures, drill-down queries, diff rows. */
import type { LocationQuery, LocationQueryRaw } from "vue-router";

/** The bridge of a line, left to right: closing = opening + new + moved_in − lapsed − revoked − left_park. */
export const INFLOWS = ["new", "moved_in"] as const;
export const EXITS = ["lapsed", "revoked", "left_park"] as const;
export const BUCKETS = ["opening", "new", "moved_in", "renewed", "lapsed", "revoked", "left_park", "closing"] as const;
export type Bucket = (typeof BUCKETS)[number];

export interface LineCounts {
  opening: number;
  new: number;
  moved_in: number;
  lapsed: number;
  revoked: number;
  left_park: number;
  closing: number;
}

/** closing − opening, and whether the bridge adds up (the server says so too; this guards the page). */
export function bridge(line: LineCounts): { net: number; exits: number; balanced: boolean } {
  const exits = line.lapsed + line.revoked + line.left_park;
  const net = line.closing - line.opening;
  return { net, exits, balanced: line.opening + line.new + line.moved_in - exits === line.closing };
}

/** 22.45 → "22.45%"; null (no opening) → null; always two decimals, as the reports print them. */
export function formatPercent(value: number | null | undefined): string | null {
  if (value === null || value === undefined || Number.isNaN(value)) return null;
  return `${value.toFixed(2)}%`;
}

/** Yuan → 亿元 with two decimals (the unit of the park's reports). */
export function formatYi(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "";
  const number = Number(value);
  if (Number.isNaN(number)) return String(value);
  return (number / 1e8).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** The years one may pick: this year back to `first`, newest first. */
export function yearOptions(current: number, first = current - 9): number[] {
  const years: number[] = [];
  for (let year = current; year >= first; year -= 1) years.push(year);
  return years;
}

/** The year a page opens on: the one in the address if valid, else the last complete year. */
export function pickYear(raw: unknown, current: number, first = current - 9): number {
  const year = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isInteger(year) && year >= first && year <= current ? year : current - 1;
}

export interface FunnelRung {
  code: string;
  name: string;
  rung: number;
  holding: number;
  on_top: number;
}

export interface FunnelStep extends FunnelRung {
  /** Firms whose top rung on this ladder is this one or higher: never grows going up the ladder. */
  atLeast: number;
}

/** Rungs bottom to top with the cumulative "this rung or higher" count a funnel needs. */
export function funnelSteps(rungs: readonly FunnelRung[]): FunnelStep[] {
  const ordered = [...rungs].sort((a, b) => a.rung - b.rung || a.code.localeCompare(b.code));
  let above = 0;
  const steps: FunnelStep[] = [];
  for (let i = ordered.length - 1; i >= 0; i -= 1) {
    const rung = ordered[i]!;
    above += rung.on_top;
    steps.unshift({ ...rung, atLeast: above });
  }
  return steps;
}

/** What a drill-down shows: one number of a live report (year, zone) or of a published report. */
export interface DrillTarget {
  year: number;
  zone: number | null;
  report: number | null;
  line: string;
  bucket: Bucket | "";
  tagGroup: string;
  monthly: boolean;
  listingBucket: string;
}

function one(value: LocationQuery[string] | undefined): string {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "string" ? first : "";
}

function int(value: LocationQuery[string] | undefined): number | null {
  const text = one(value);
  return /^\d+$/.test(text) ? Number(text) : null;
}

export function drillFromQuery(year: number, query: LocationQuery): DrillTarget {
  const bucket = one(query.bucket);
  return {
    year,
    zone: int(query.zone),
    report: int(query.report),
    line: one(query.line).toUpperCase(),
    bucket: (BUCKETS as readonly string[]).includes(bucket) ? (bucket as Bucket) : "",
    tagGroup: one(query.tag_group).toUpperCase(),
    monthly: one(query.monthly_upgrades) === "true",
    listingBucket: one(query.listing_bucket),
  };
}

/** The address of a drill-down (only what is set). */
export function drillQuery(target: Partial<DrillTarget>): LocationQueryRaw {
  const query: LocationQueryRaw = {};
  if (target.zone) query.zone = String(target.zone);
  if (target.report) query.report = String(target.report);
  if (target.line) query.line = target.line;
  if (target.bucket) query.bucket = target.bucket;
  if (target.tagGroup) query.tag_group = target.tagGroup;
  if (target.monthly) query.monthly_upgrades = "true";
  if (target.listingBucket) query.listing_bucket = target.listingBucket;
  return query;
}

/** The API query for the firms behind a drill-down target, or null when it names no number. */
export function firmsApiQuery(target: DrillTarget): Record<string, string> | null {
  if (target.line && target.bucket) return { line: target.line, bucket: target.bucket };
  if (target.tagGroup) return { tag_group: target.tagGroup };
  if (target.monthly) return { monthly_upgrades: "true" };
  if (target.listingBucket) return { listing_bucket: target.listingBucket };
  return null;
}

interface DiffFirm {
  id: number;
  name: string;
}

interface DiffBucket {
  published: number;
  live: number;
  added: DiffFirm[];
  removed: DiffFirm[];
}

export interface DiffLine {
  code: string;
  name: string;
  status: string;
  buckets: Record<string, DiffBucket>;
}

export interface DiffRow {
  line: string;
  name: string;
  status: string;
  bucket: string;
  published: number | null;
  live: number | null;
  added: DiffFirm[];
  removed: DiffFirm[];
}

/** One row per changed number of the lines, in bridge order. */
export function diffRows(lines: readonly DiffLine[]): DiffRow[] {
  const rows: DiffRow[] = [];
  for (const line of lines) {
    if (line.status === "same") continue;
    const buckets = BUCKETS.filter((b) => line.buckets[b]);
    if (!buckets.length) {
      rows.push({ line: line.code, name: line.name, status: line.status, bucket: "", published: null, live: null, added: [], removed: [] });
      continue;
    }
    for (const bucket of buckets) {
      const change = line.buckets[bucket]!;
      rows.push({ line: line.code, name: line.name, status: line.status, bucket, ...change });
    }
  }
  return rows;
}
