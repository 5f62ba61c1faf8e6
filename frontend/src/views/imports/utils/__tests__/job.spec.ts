import { describe, expect, it } from "vitest";

import { acceptedFile, canCommit, isRunning, progressPercent, statusType } from "@/views/imports/utils/job";

describe("import job helpers", () => {
  it("polls only while the job runs in the background", () => {
    expect(isRunning({ status: "checking" })).toBe(true);
    expect(isRunning({ status: "commit_queued" })).toBe(true);
    expect(isRunning({ status: "ready" })).toBe(false);
    expect(isRunning(null)).toBe(false);
  });

  it("commits only a checked job with rows to write", () => {
    expect(canCommit({ status: "ready", to_create: 2, to_update: 0 })).toBe(true);
    expect(canCommit({ status: "ready", to_create: 0, to_update: 0 })).toBe(false);
    expect(canCommit({ status: "invalid", to_create: 5, to_update: 1 })).toBe(false);
  });

  it("turns the job's progress into a percentage that reaches 100 only when done", () => {
    const running = (rows_done: number, rows_total: number, phase = "writing") => ({
      status: "committing" as const,
      progress: { phase, rows_done, rows_total },
    });
    expect(progressPercent(running(0, 0))).toBe(0);
    expect(progressPercent(running(2500, 10000))).toBe(25);
    expect(progressPercent(running(10000, 10000))).toBe(99);
    expect(progressPercent(running(10000, 10000, "done"))).toBe(100);
    expect(progressPercent({ status: "committed", progress: null })).toBe(100);
  });

  it("colours the status and checks the file name", () => {
    expect(statusType("invalid")).toBe("danger");
    expect(statusType("committed")).toBe("success");
    expect(statusType("committing")).toBe("warning");
    expect(acceptedFile("名单.XLSX")).toBe(true);
    expect(acceptedFile("list.xls")).toBe(false);
    expect(acceptedFile("data.csv")).toBe(true);
  });
});
