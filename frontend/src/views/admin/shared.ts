/** Small helpers the administration pages share: form rules, confirmations, reasons, error toasts. */
import type { FormInstance, FormItemRule } from "element-plus";

import { ApiError } from "@/api/client";
import { i18n } from "@/i18n";

const t = (key: string, values: Record<string, unknown> = {}) => i18n.global.t(key, values);

/** A required field; the message names it. */
export function required(label: string, trigger: "blur" | "change" = "blur"): FormItemRule {
  return { required: true, message: t("admin.validation.required", { field: label }), trigger };
}

/** Runs the form's own rules; true if the form may be sent. */
export async function validated(form: FormInstance | undefined): Promise<boolean> {
  if (!form) return true;
  try {
    await form.validate();
    return true;
  } catch {
    return false;
  }
}

/** Asks before anything destructive; resolves true only when the user confirms. */
export async function confirmDanger(message: string, title: string, confirmText: string): Promise<boolean> {
  try {
    await ElMessageBox.confirm(message, title, {
      type: "warning",
      confirmButtonText: confirmText,
      cancelButtonText: t("common.cancel"),
      confirmButtonClass: "el-button--danger",
    });
    return true;
  } catch {
    return false;
  }
}

/** Adds the reason (if any) so it goes into the change history. */
export function withReason<T extends object>(body: T, reason: string): T & { reason?: string } {
  const trimmed = reason.trim();
  return trimmed ? { ...body, reason: trimmed } : body;
}

/** A failed load or action that has no form: one toast (a 401 is already on its way to the login page). */
export function toastError(error: unknown): void {
  if (error instanceof ApiError) {
    if (!error.isUnauthorized) ElMessage.error({ message: error.message, grouping: true });
    return;
  }
  throw error;
}
