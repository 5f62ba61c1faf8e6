import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { effectScope } from "vue";

import { usePoll } from "@/composables/usePoll";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("usePoll", () => {
  it("checks every interval until the check says done", async () => {
    const answers = [false, false, true];
    const check = vi.fn(async () => answers.shift() ?? true);
    const poll = usePoll(check, { interval: 500 });
    poll.start();
    expect(poll.running.value).toBe(true);
    await vi.advanceTimersByTimeAsync(499);
    expect(check).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(check).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(check).toHaveBeenCalledTimes(3);
    expect(poll.running.value).toBe(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(check).toHaveBeenCalledTimes(3);
  });

  it("never overlaps checks: the next one waits for a slow answer", async () => {
    let release: (value: boolean) => void = () => undefined;
    const check = vi.fn(() => new Promise<boolean>((resolve) => (release = resolve)));
    const poll = usePoll(check, { interval: 100 });
    poll.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(check).toHaveBeenCalledTimes(1);
    release(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(check).toHaveBeenCalledTimes(2);
    poll.stop();
    release(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(check).toHaveBeenCalledTimes(2);
  });

  it("stops on a failing check and reports it", async () => {
    const onError = vi.fn();
    const poll = usePoll(async () => Promise.reject(new Error("503")), { interval: 10, onError });
    poll.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(onError).toHaveBeenCalledWith(new Error("503"));
    expect(poll.running.value).toBe(false);
  });

  it("stops when its component goes away", async () => {
    const check = vi.fn(async () => false);
    const scope = effectScope();
    const poll = scope.run(() => usePoll(check, { interval: 10 }))!;
    poll.start();
    await vi.advanceTimersByTimeAsync(25);
    expect(check).toHaveBeenCalledTimes(2);
    scope.stop();
    await vi.advanceTimersByTimeAsync(100);
    expect(check).toHaveBeenCalledTimes(2);
    expect(poll.running.value).toBe(false);
  });
});
