/**
 * The dashboard's one request, started by the route (beforeEnter) as soon as the user is known, so
 * that it runs while the page's code downloads and mounts instead of after it.
 */
import { api, unwrap, type Schemas } from "@/api/client";

export type Dashboard = Schemas["Dashboard"];

let pending: Promise<Dashboard> | null = null;

export function prefetchDashboard(): void {
  pending = unwrap(api.GET("/api/v1/dashboard/"));
  pending.catch(() => undefined); // the page reports the failure when it takes the promise
}

/** The prefetched answer if there is one (used once), else a new request. */
export function takeDashboard(): Promise<Dashboard> {
  const found = pending;
  pending = null;
  return found ?? unwrap(api.GET("/api/v1/dashboard/"));
}
