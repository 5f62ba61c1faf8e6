import { api, unwrap, type Schemas } from "@/api/client";

import type { FlagAction } from "./filters";

type Flag = Schemas["Flag"];

export interface ActionInput {
  note?: string;
  reason?: string;
  until?: string | null;
}

export interface ActionResult {
  done: number[];
  skipped: { id: number; state: string }[];
}

/**
 * One action on one or many flags. One flag goes to its own route (enterprise users may acknowledge
 * their firm's flags there, and a refusal comes back as the server's message); several go to
 * /flags/bulk/, which skips flags whose state does not allow the action instead of failing.
 */
export async function actOnFlags(flags: readonly Flag[], action: FlagAction, input: ActionInput = {}): Promise<ActionResult> {
  const note = input.note?.trim() ?? "";
  if (flags.length === 1) {
    const id = flags[0]!.id;
    const path = { params: { path: { id } } };
    if (action === "dismiss") {
      await unwrap(api.POST("/api/v1/flags/{id}/dismiss/", { ...path, body: { reason: input.reason ?? "", note } }));
    } else if (action === "snooze") {
      await unwrap(api.POST("/api/v1/flags/{id}/snooze/", { ...path, body: { until: input.until ?? "", note } }));
    } else if (action === "acknowledge") {
      await unwrap(api.POST("/api/v1/flags/{id}/acknowledge/", { ...path, body: { note } }));
    } else if (action === "resolve") {
      await unwrap(api.POST("/api/v1/flags/{id}/resolve/", { ...path, body: { note } }));
    } else {
      await unwrap(api.POST("/api/v1/flags/{id}/reopen/", { ...path, body: { note } }));
    }
    return { done: [id], skipped: [] };
  }
  if (action === "reopen") throw new Error("reopen is not a bulk action");
  const result = await unwrap(
    api.POST("/api/v1/flags/bulk/", {
      body: {
        ids: flags.map((f) => f.id),
        action,
        note,
        reason: input.reason?.trim() ?? "",
        until: action === "snooze" ? (input.until ?? null) : null,
      },
    }),
  );
  return { done: result.done, skipped: result.skipped as ActionResult["skipped"] };
}
