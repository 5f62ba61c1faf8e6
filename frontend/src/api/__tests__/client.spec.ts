import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createMemoryHistory, createRouter } from "vue-router";

import { all, api, ApiError, configureClient, page, resetCsrfToken, unwrap } from "@/api/client";
import { handleUnauthorized } from "@/router/session";
import { useUserStore } from "@/stores/user";

type Handler = (request: Request) => Response | Promise<Response>;

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

/** Stubs fetch with a handler and records every request it gets. */
function serve(handler: Handler): Request[] {
  const seen: Request[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = input instanceof Request ? input : new Request(new URL(String(input), "http://localhost"), init);
      seen.push(request);
      return handler(request);
    }),
  );
  return seen;
}

const path = (request: Request) => new URL(request.url).pathname;

beforeEach(() => {
  resetCsrfToken();
  configureClient({ locale: () => "zh-CN", onUnauthorized: () => undefined });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("CSRF", () => {
  it("fetches the token once from /auth/csrf/ and sends it as X-CSRFToken on writes only", async () => {
    const seen = serve((request) => {
      if (path(request) === "/api/v1/auth/csrf/") return json({ csrf_token: "tok-1" });
      return json({ id: 7, firm: 1, name: "张三" }, request.method === "POST" ? 201 : 200);
    });

    await unwrap(api.GET("/api/v1/contacts/{id}/", { params: { path: { id: 7 } } }));
    await unwrap(api.POST("/api/v1/contacts/", { body: { firm: 1, name: "张三" } }));
    await unwrap(api.PATCH("/api/v1/contacts/{id}/", { params: { path: { id: 7 } }, body: { name: "李四" } }));

    expect(seen.map((r) => `${r.method} ${path(r)}`)).toEqual([
      "GET /api/v1/contacts/7/",
      "GET /api/v1/auth/csrf/",
      "POST /api/v1/contacts/",
      "PATCH /api/v1/contacts/7/",
    ]);
    expect(seen[0]!.headers.get("X-CSRFToken")).toBeNull();
    expect(seen[2]!.headers.get("X-CSRFToken")).toBe("tok-1");
    expect(seen[3]!.headers.get("X-CSRFToken")).toBe("tok-1");
  });

  it("fetches a fresh token and retries once when the server says the token is stale", async () => {
    let token = 0;
    const seen = serve((request) => {
      if (path(request) === "/api/v1/auth/csrf/") return json({ csrf_token: `tok-${++token}` });
      if (request.headers.get("X-CSRFToken") === "tok-1") {
        return json({ code: "csrf_failed", message: "CSRF 校验失败", errors: {} }, 403);
      }
      return json({ id: 1, firm: 1, name: "王五" }, 201);
    });

    const created = await unwrap(api.POST("/api/v1/contacts/", { body: { firm: 1, name: "王五" } }));

    expect(created.name).toBe("王五");
    const posts = seen.filter((r) => r.method === "POST");
    expect(posts.map((r) => r.headers.get("X-CSRFToken"))).toEqual(["tok-1", "tok-2"]);
  });

  it("sends cookies and the current language", async () => {
    const seen = serve(() => json({ code: "C", level: 1, name: "制造业", section: "C" }));
    configureClient({ locale: () => "en" });
    await unwrap(api.GET("/api/v1/industries/{code}/", { params: { path: { code: "C" } } }));
    configureClient({ locale: () => "zh-CN" });
    await unwrap(api.GET("/api/v1/industries/{code}/", { params: { path: { code: "C" } } }));

    expect(seen.map((r) => r.headers.get("Accept-Language"))).toEqual(["en", "zh-hans"]);
    expect(seen[0]!.credentials).toBe("same-origin");
  });
});

describe("errors", () => {
  it("turns {code, message, errors} into an ApiError with field messages", async () => {
    serve((request) =>
      path(request) === "/api/v1/auth/csrf/"
        ? json({ csrf_token: "t" })
        : json(
            {
              code: "invalid",
              message: "提交的数据有误，请检查标出的字段。",
              errors: { uscc: ["统一社会信用代码校验位错误"], tags: { "0": ["标签过长"] }, non_field_errors: ["整体错误"] },
            },
            400,
          ),
    );

    const error = await unwrap(api.POST("/api/v1/firms/", { body: { uscc: "x", name: "y", zone: 1 } })).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe("invalid");
    expect(apiError.message).toBe("提交的数据有误，请检查标出的字段。");
    expect(apiError.field("uscc")).toBe("统一社会信用代码校验位错误");
    expect(apiError.field("tags")).toBe("标签过长");
    expect(apiError.field("name")).toBeUndefined();
    expect(apiError.otherErrors(["uscc", "tags"])).toEqual(["整体错误"]);
  });

  it("gives a 404 as a not-found ApiError", async () => {
    serve(() => json({ code: "not_found", message: "未找到。", errors: {} }, 404));
    const error = (await unwrap(api.GET("/api/v1/firms/{id}/", { params: { path: { id: 9 } } })).catch(
      (e: unknown) => e,
    )) as ApiError;
    expect(error.isNotFound).toBe(true);
    expect(error.message).toBe("未找到。");
  });

  it("reports a network failure as an ApiError with status 0", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    const error = (await unwrap(api.GET("/api/v1/me/")).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(0);
    expect(error.code).toBe("network");
  });
});

describe("pagination", () => {
  it("unwraps {count, next, previous, results}", async () => {
    serve(() =>
      json({ count: 3, next: "http://x/api/v1/zones/?page=2", previous: null, results: [{ id: 1, code: "a", name: "甲" }] }),
    );
    const result = await page(api.GET("/api/v1/zones/", { params: { query: { page: 1 } } }));
    expect(result).toEqual({ items: [{ id: 1, code: "a", name: "甲" }], count: 3, hasNext: true, hasPrevious: false });
  });

  it("walks every page for exports", async () => {
    const seen = serve((request) => {
      const number = Number(new URL(request.url).searchParams.get("page"));
      return json({
        count: 3,
        next: number < 2 ? `http://x/?page=${number + 1}` : null,
        previous: null,
        results: number === 1 ? [{ id: 1 }, { id: 2 }] : [{ id: 3 }],
      });
    });
    const rows = await all((p) => api.GET("/api/v1/zones/", { params: { query: { page: p, page_size: 2 } } }));
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(seen).toHaveLength(2);
  });
});

describe("401", () => {
  it("sends a signed-in user to the login page with a way back", async () => {
    setActivePinia(createPinia());
    const user = useUserStore();
    user.me = { id: 1, username: "staff", role: "staff", scope: { role: "staff", all_zones: true, zones: [], firms: [] } };
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: "/login", name: "login", component: { template: "<div />" } },
        { path: "/firms", name: "firms", component: { template: "<div />" } },
      ],
    });
    await router.push("/firms?q=科技");
    configureClient({ onUnauthorized: () => handleUnauthorized(router, user) });
    serve(() => json({ code: "not_authenticated", message: "身份认证信息未提供。", errors: {} }, 401));

    const error = (await unwrap(api.GET("/api/v1/firms/")).catch((e: unknown) => e)) as ApiError;
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe("login"));

    expect(error.isUnauthorized).toBe(true);
    expect(user.me).toBeNull();
    expect(router.currentRoute.value.query).toEqual({ redirect: "/firms?q=科技", expired: "1" });
  });

  it("does not treat a failed login as an expired session", async () => {
    const onUnauthorized = vi.fn();
    configureClient({ onUnauthorized });
    serve((request) =>
      path(request) === "/api/v1/auth/csrf/"
        ? json({ csrf_token: "t" })
        : json({ code: "login_failed", message: "用户名或密码错误。", errors: {} }, 401),
    );
    const error = (await unwrap(api.POST("/api/v1/auth/login/", { body: { username: "a", password: "b" } })).catch(
      (e: unknown) => e,
    )) as ApiError;
    expect(error.message).toBe("用户名或密码错误。");
    expect(onUnauthorized).not.toHaveBeenCalled();
  });
});
