import type { RouteRecordRaw } from "vue-router";

import { CONSOLE_ROLES } from "../types";

export default [
  {
    // The flag inbox: every role of the console reads it; staff and administrators act on flags.
    path: "flags",
    name: "flags",
    component: () => import("@/views/flags/index.vue"),
    meta: { title: "flagInbox.title", roles: CONSOLE_ROLES, menu: true, icon: "Bell" },
  },
] satisfies RouteRecordRaw[];
