import type { RouteRecordRaw } from "vue-router";

import { prefetchDashboard } from "@/views/dashboard/data";

import { CONSOLE_ROLES } from "../types";

export default [
  {
    path: "dashboard",
    name: "dashboard",
    component: () => import("@/views/dashboard/index.vue"),
    // After the sign-in and role checks: the data downloads while the page's code does.
    beforeEnter: () => {
      prefetchDashboard();
    },
    meta: { title: "menu.dashboard", roles: CONSOLE_ROLES, menu: true, icon: "DataAnalysis" },
  },
] satisfies RouteRecordRaw[];
