import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { effectScope, nextTick, ref } from "vue";

import { useColumnPrefs } from "@/composables/useColumnPrefs";
import { useDebounced } from "@/composables/useDebounced";

describe("useDebounced", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("follows the source only after it stops changing", async () => {
    const scope = effectScope();
    const source = ref("");
    const debounced = scope.run(() => useDebounced(source, 300))!;

    source.value = "重";
    await nextTick();
    vi.advanceTimersByTime(200);
    source.value = "重庆";
    await nextTick();
    vi.advanceTimersByTime(200);
    expect(debounced.value).toBe("");

    vi.advanceTimersByTime(100);
    expect(debounced.value).toBe("重庆");
    scope.stop();
  });
});

describe("useColumnPrefs", () => {
  beforeEach(() => localStorage.clear());

  it("starts from the defaults, remembers a choice in table order, and drops unknown columns", async () => {
    const all = ["name", "uscc", "zone", "tags"];
    const first = useColumnPrefs("t", all, ["name", "uscc"]);
    expect(first.value).toEqual(["name", "uscc"]);

    first.value = ["tags", "name"];
    await nextTick();
    await nextTick();
    expect(first.value).toEqual(["name", "tags"]);
    expect(JSON.parse(localStorage.getItem("seedbed.columns.t")!)).toEqual(["name", "tags"]);

    localStorage.setItem("seedbed.columns.t", JSON.stringify(["zone", "gone"]));
    expect(useColumnPrefs("t", all, ["name"]).value).toEqual(["zone"]);

    localStorage.setItem("seedbed.columns.t", "{not json");
    expect(useColumnPrefs("t", all, ["name"]).value).toEqual(["name"]);
  });
});
