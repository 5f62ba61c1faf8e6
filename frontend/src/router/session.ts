import type { Router } from "vue-router";

import type { useUserStore } from "@/stores/user";

/**
 * A 401 after sign-in means the session ended (expired, or signed out elsewhere): forget the user and
 * go to the login page with a "session expired" note and the way back to where they were.
 */
export function handleUnauthorized(router: Router, user: ReturnType<typeof useUserStore>): void {
  if (!user.me) return; // not signed in yet: the router guard is already on its way to the login page
  user.forget();
  const here = router.currentRoute.value;
  if (here.name === "login") return;
  void router.push({ name: "login", query: { redirect: here.fullPath, expired: "1" } });
}
