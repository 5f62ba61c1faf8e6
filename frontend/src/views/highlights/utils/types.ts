import type { Schemas } from "@/api/client";

import type { FunnelRung } from "./report";

export type Report = Schemas["Report"];
export type LineReport = Schemas["LineReport"];
export type PublishedReport = Schemas["PublishedReport"];

/** GET /highlights/trend/ (described in prose by the schema). */
export interface Trend {
  scope: { zone_ids: number[] | null; label: string };
  lines: { code: string; name: string; years: { year: number; opening: number; new: number; closing: number; as_of: string }[] }[];
  funnel: { ladder: string; name: string; rungs: FunnelRung[] }[];
}
