import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";

import { i18n } from "@/i18n";
import Layout from "@/layout/index.vue";
import { useUserStore } from "@/stores/user";

import admin from "./modules/admin";
import dashboard from "./modules/dashboard";
import firms from "./modules/firms";
import flags from "./modules/flags";
import highlights from "./modules/highlights";
import imports from "./modules/imports";
import portal from "./modules/portal";
import "./types";

/** The pages inside the console frame, in menu order. */
export const shellRoutes: RouteRecordRaw[] = [...dashboard, ...firms, ...flags, ...imports, ...highlights, ...portal, ...admin];

const routes: RouteRecordRaw[] = [
  {
    path: "/login",
    name: "login",
    component: () => import("@/views/login/index.vue"),
    meta: { title: "login.title", public: true },
  },
  {
    path: "/reset-password",
    name: "reset-password",
    component: () => import("@/views/login/reset-password.vue"),
    meta: { title: "login.reset.title", public: true },
  },
  {
    path: "/",
    component: Layout,
    children: [
      { path: "", name: "home", redirect: () => ({ name: homeRouteName() }) },
      ...shellRoutes,
      {
        path: ":pathMatch(.*)*",
        name: "not-found",
        component: () => import("@/views/error/not-found.vue"),
        meta: { title: "notFound.title" },
      },
    ],
  },
];

function homeRouteName(): string {
  return useUserStore().isEnterprise ? "my-firm" : "dashboard";
}

export const router = createRouter({ history: createWebHistory("/"), routes });

router.beforeEach(async (to) => {
  const user = useUserStore();
  if (!user.loaded) await user.load();
  if (to.meta.public) {
    return to.name === "login" && user.me ? { name: homeRouteName() } : true;
  }
  if (!user.me) {
    return { name: "login", query: to.fullPath === "/" ? {} : { redirect: to.fullPath } };
  }
  if (to.meta.roles && (!user.role || !to.meta.roles.includes(user.role))) {
    // Pages outside the role look like pages that do not exist, as the API answers 404.
    return { name: "not-found", params: { pathMatch: to.path.slice(1).split("/") } };
  }
  return true;
});

router.afterEach((to) => {
  const title = to.meta.title ? i18n.global.t(to.meta.title) : "";
  document.title = [title, i18n.global.t("app.name")].filter(Boolean).join(" · ");
});
