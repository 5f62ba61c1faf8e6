import type { Schemas } from "@/api/client";

export const FLAG_KINDS: Schemas["FlagKindEnum"][] = [
  "renewal_due",
  "expired",
  "report_due",
  "threshold_reached",
  "eligible",
  "upgrade_candidate",
  "near_miss",
  "data_missing",
];
