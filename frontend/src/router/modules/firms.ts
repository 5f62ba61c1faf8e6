import type { RouteRecordRaw } from "vue-router";

import { CONSOLE_ROLES } from "../types";

export default [
  {
    path: "firms",
    name: "firms",
    component: () => import("@/views/firms/list/index.vue"),
    meta: { title: "menu.firms", roles: CONSOLE_ROLES, menu: true, icon: "OfficeBuilding" },
  },
  {
    // Enterprise users may open their own firm here too; any other firm answers 404 from the API.
    path: "firms/:id(\\d+)",
    name: "firm",
    component: () => import("@/views/firms/detail/index.vue"),
    props: (route) => ({ id: Number(route.params.id) }),
    meta: { title: "firm.title" },
  },
] satisfies RouteRecordRaw[];
