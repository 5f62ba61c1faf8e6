import { getCurrentScope, onScopeDispose, ref, type Ref } from "vue";

export interface Poll {
  /** True between start() and the moment the check says it is done (or stop()). */
  running: Ref<boolean>;
  /** Starts polling (again); a poll already running is replaced. */
  start: () => void;
  stop: () => void;
}

/**
 * Calls `check` every `interval` ms until it returns true (a long job finished), stop() is called or
 * the component goes away. A failing check stops the poll and goes to `onError`. Checks never overlap:
 * the next one is scheduled only after the previous one has answered.
 */
export function usePoll(
  check: () => Promise<boolean>,
  { interval = 1000, onError }: { interval?: number; onError?: (error: unknown) => void } = {},
): Poll {
  const running = ref(false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;

  function stop(): void {
    generation += 1;
    clearTimeout(timer);
    timer = undefined;
    running.value = false;
  }

  function schedule(mine: number): void {
    timer = setTimeout(async () => {
      if (mine !== generation) return;
      let done: boolean;
      try {
        done = await check();
      } catch (error) {
        if (mine !== generation) return;
        stop();
        onError?.(error);
        return;
      }
      if (mine !== generation) return;
      if (done) stop();
      else schedule(mine);
    }, interval);
  }

  function start(): void {
    stop();
    running.value = true;
    schedule(generation);
  }

  if (getCurrentScope()) onScopeDispose(stop);
  return { running, start, stop };
}
