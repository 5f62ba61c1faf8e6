import { describe, expect, it } from "vitest";

import { ApiError } from "@/api/client";

import { useLoader } from "../useLoader";

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

describe("useLoader", () => {
  it("shows loading, then the data", async () => {
    const pending = deferred<number>();
    const loader = useLoader(() => pending.promise);
    const done = loader.run();
    expect(loader.loading.value).toBe(true);
    pending.resolve(42);
    await done;
    expect(loader.loading.value).toBe(false);
    expect(loader.data.value).toBe(42);
    expect(loader.error.value).toBe("");
  });

  it("keeps only the newest answer when an older one arrives late", async () => {
    const calls = [deferred<string>(), deferred<string>()];
    const loader = useLoader((i: number) => calls[i]!.promise);
    const first = loader.run(0);
    const second = loader.run(1);
    calls[1]!.resolve("2023");
    await second;
    calls[0]!.resolve("2022");
    await first;
    expect(loader.data.value).toBe("2023");
    expect(loader.loading.value).toBe(false);
  });

  it("shows the server's message, and not a 401 (the app signs the user out)", async () => {
    const loader = useLoader(async (status: number) => {
      throw new ApiError(status, "x", status === 404 ? "该片区不存在" : "unauthorised");
    });
    await loader.run(404);
    expect(loader.error.value).toBe("该片区不存在");
    expect(loader.data.value).toBeNull();
    await loader.run(401);
    expect(loader.error.value).toBe("");
  });
});
