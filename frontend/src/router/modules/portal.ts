import type { RouteRecordRaw } from "vue-router";

import { ENTERPRISE_ROLES } from "../types";

export default [
  {
    path: "my-firm",
    name: "my-firm",
    component: () => import("@/views/portal/index.vue"),
    meta: { title: "menu.myFirm", roles: ENTERPRISE_ROLES, menu: true, icon: "House" },
  },
] satisfies RouteRecordRaw[];
