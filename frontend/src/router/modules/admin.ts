import type { RouteRecordRaw } from "vue-router";

import type { Role } from "@/stores/user";

/** Administration is for administrators only: anyone else gets the not-found page, as the API answers 404. */
export const ADMIN_ROLES: Role[] = ["admin"];

// Under /system, not /admin: /admin/ is Django's own admin site on the same origin.
export default [
  {
    path: "system",
    component: () => import("@/views/admin/index.vue"),
    meta: { title: "admin.menu", roles: ADMIN_ROLES, menu: true, icon: "Setting" },
    children: [
      { path: "", name: "admin", redirect: { name: "admin-users" } },
      {
        path: "users",
        name: "admin-users",
        component: () => import("@/views/admin/users/index.vue"),
        meta: { title: "admin.users.title" },
      },
      {
        path: "programmes",
        name: "admin-programmes",
        component: () => import("@/views/admin/programmes/index.vue"),
        meta: { title: "admin.programmes.title" },
      },
      {
        path: "rules",
        name: "admin-rules",
        component: () => import("@/views/admin/rules/index.vue"),
        meta: { title: "admin.rules.title" },
      },
      {
        path: "rules/:id(\\d+)",
        name: "admin-rule-set",
        component: () => import("@/views/admin/rules/detail.vue"),
        props: (route) => ({ id: Number(route.params.id) }),
        meta: { title: "admin.rules.editTitle" },
      },
      {
        path: "reports",
        name: "admin-reports",
        component: () => import("@/views/admin/reports/index.vue"),
        meta: { title: "admin.reports.title" },
      },
      {
        path: "channels",
        name: "admin-channels",
        component: () => import("@/views/admin/channels/index.vue"),
        meta: { title: "admin.channels.title" },
      },
      {
        path: "jobs",
        name: "admin-jobs",
        component: () => import("@/views/admin/jobs/index.vue"),
        meta: { title: "admin.jobs.title" },
      },
    ],
  },
] satisfies RouteRecordRaw[];
