import type { RouteRecordRaw } from "vue-router";

import type { Role } from "@/stores/user";

/** Staff and administrators import; viewers and enterprise users get not-found, as the API answers 403/404. */
export const IMPORT_ROLES: Role[] = ["admin", "staff"];

export default [
  {
    path: "imports",
    name: "imports",
    component: () => import("@/views/imports/index.vue"),
    meta: { title: "imports.title", roles: IMPORT_ROLES, menu: true, icon: "Upload" },
  },
] satisfies RouteRecordRaw[];
