import { ref, shallowRef, type Ref } from "vue";

import { ApiError } from "@/api/client";

export interface Loader<T, A extends unknown[]> {
  data: Ref<T | null>;
  loading: Ref<boolean>;
  /** The failure's message; empty when the last load worked. A 401 is not shown (the app goes to the login page). */
  error: Ref<string>;
  /** Loads again; an answer to an older call that arrives late is dropped (year or zone changed meanwhile). */
  run: (...args: A) => Promise<T | null>;
}

/** Loading, error and data of one request a page shows, keeping only the newest answer. */
export function useLoader<T, A extends unknown[] = []>(load: (...args: A) => Promise<T>): Loader<T, A> {
  const data = shallowRef<T | null>(null) as Ref<T | null>;
  const loading = ref(false);
  const error = ref("");
  let latest = 0;

  async function run(...args: A): Promise<T | null> {
    const call = ++latest;
    loading.value = true;
    error.value = "";
    try {
      const value = await load(...args);
      if (call !== latest) return null;
      data.value = value;
      return value;
    } catch (failure) {
      if (call !== latest) return null;
      data.value = null;
      if (!(failure instanceof ApiError && failure.isUnauthorized)) {
        error.value = failure instanceof Error ? failure.message : String(failure);
      }
      return null;
    } finally {
      if (call === latest) loading.value = false;
    }
  }

  return { data, loading, error, run };
}
