import type { Schemas } from "@/api/client";

type Job = Schemas["ImportJob"];

export const IMPORT_KINDS = ["firms", "certifications", "annual_figures", "monthly_figures"] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

const RUNNING = new Set(["queued", "checking", "commit_queued", "committing"]);

/** The job is being checked or written in the background: poll it. */
export function isRunning(job: Pick<Job, "status"> | null | undefined): boolean {
  return !!job && RUNNING.has(job.status);
}

/** Rows the commit would write. */
export function rowsToWrite(job: Pick<Job, "to_create" | "to_update">): number {
  return (job.to_create ?? 0) + (job.to_update ?? 0);
}

export function canCommit(job: Pick<Job, "status" | "to_create" | "to_update"> | null | undefined): boolean {
  return !!job && job.status === "ready" && rowsToWrite(job) > 0;
}

/** 0–100 for the progress bar: reading, checking and writing each count their rows. */
export function progressPercent(job: Pick<Job, "status" | "progress"> | null | undefined): number {
  if (!job) return 0;
  if (job.status === "committed" || job.status === "ready" || job.status === "invalid") return 100;
  const progress = job.progress;
  if (!progress || !progress.rows_total) return 0;
  if (progress.phase === "done") return 100;
  return Math.max(0, Math.min(99, Math.floor((progress.rows_done / progress.rows_total) * 100)));
}

/** The status tag's colour. */
export function statusType(status: string): "success" | "info" | "warning" | "danger" | "primary" {
  if (status === "committed") return "success";
  if (status === "ready") return "primary";
  if (status === "invalid" || status === "failed") return "danger";
  return "warning";
}

const EXTENSIONS = [".xlsx", ".csv", ".txt"];

/** What the form accepts before sending (the server checks the content again). */
export function acceptedFile(name: string): boolean {
  const lower = name.toLowerCase();
  return EXTENSIONS.some((ext) => lower.endsWith(ext));
}
