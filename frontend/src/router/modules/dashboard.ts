import type { RouteRecordRaw } from "vue-router";

import { CONSOLE_ROLES } from "../types";

export default [
  {
    path: "dashboard",
    name: "dashboard",
    component: () => import("@/views/dashboard/index.vue"),
    meta: { title: "menu.dashboard", roles: CONSOLE_ROLES, menu: true, icon: "DataAnalysis" },
  },
] satisfies RouteRecordRaw[];
