import { ref, watch, type Ref } from "vue";

/**
 * Which columns of a table are shown, remembered in localStorage under `key`.
 * Unknown keys in storage (a column that was removed) are dropped; an empty choice falls back to the defaults.
 */
export function useColumnPrefs(key: string, available: readonly string[], defaults: readonly string[]): Ref<string[]> {
  const storageKey = `seedbed.columns.${key}`;
  const read = (): string[] => {
    try {
      const raw = globalThis.localStorage?.getItem(storageKey);
      const saved = raw ? (JSON.parse(raw) as unknown) : null;
      if (Array.isArray(saved)) {
        const kept = available.filter((column) => saved.includes(column));
        if (kept.length) return kept;
      }
    } catch {
      // A damaged entry is ignored: the defaults apply.
    }
    return [...defaults];
  };
  const visible = ref<string[]>(read());
  watch(
    visible,
    (value) => {
      // Keep the table's own column order whatever order the boxes were ticked in.
      const ordered = available.filter((column) => value.includes(column));
      if (ordered.join() !== value.join()) {
        visible.value = ordered;
        return;
      }
      globalThis.localStorage?.setItem(storageKey, JSON.stringify(ordered));
    },
    { deep: true },
  );
  return visible;
}
