import { beforeEach, describe, expect, it, vi } from "vitest";

const calls: string[] = [];
vi.mock("@/api/client", () => ({
  api: {
    GET: (path: string) => {
      calls.push(path);
      return Promise.resolve({ data: { call: calls.length }, response: new Response("{}", { status: 200 }) });
    },
  },
  unwrap: async (call: Promise<{ data: unknown }>) => (await call).data,
}));

const { prefetchDashboard, takeDashboard } = await import("../data");

describe("dashboard prefetch", () => {
  beforeEach(() => {
    calls.length = 0;
  });

  it("hands the page the request the route started, once", async () => {
    prefetchDashboard();
    expect(calls).toEqual(["/api/v1/dashboard/"]);
    expect(await takeDashboard()).toEqual({ call: 1 });
    // Coming back later asks again rather than showing old numbers.
    expect(await takeDashboard()).toEqual({ call: 2 });
    expect(calls).toHaveLength(2);
  });

  it("asks by itself when nothing was prefetched", async () => {
    expect(await takeDashboard()).toEqual({ call: 1 });
  });
});
