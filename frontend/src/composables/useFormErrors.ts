import { reactive } from "vue";

import { ApiError } from "@/api/client";

/**
 * Server-side field errors for a form: `errors.uscc` feeds `<el-form-item :error="errors.uscc">`.
 * Errors for fields the form does not show, and the message itself, go to a toast.
 */
export function useFormErrors(fields: readonly string[]) {
  const errors = reactive<Record<string, string | undefined>>({});

  function clear(): void {
    for (const key of Object.keys(errors)) delete errors[key];
  }

  /** Shows an API error next to the fields and in a toast; anything else is rethrown. */
  function show(error: unknown): void {
    clear();
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401) return; // the app is already on its way to the login page
    for (const field of fields) errors[field] = error.field(field);
    const others = error.otherErrors(fields);
    ElMessage.error({ message: [error.message, ...others].join(" "), grouping: true });
  }

  return { errors, clear, show };
}
