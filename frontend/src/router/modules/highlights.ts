import type { RouteRecordRaw } from "vue-router";

import { CONSOLE_ROLES } from "../types";

export default [
  {
    // ?year=2022&zone=1&tab=report|charts|published
    path: "highlights",
    name: "highlights",
    component: () => import("@/views/highlights/index.vue"),
    meta: { title: "highlights.menu", roles: CONSOLE_ROLES, menu: true, icon: "TrendCharts" },
  },
  {
    // The firms behind one number: ?line=HNTE&bucket=new | tag_group= | monthly_upgrades=true | listing_bucket=,
    // with &zone= for a zone, or &report=<id> for a published report's frozen list.
    path: "highlights/:year(\\d{4})/firms",
    name: "highlight-firms",
    component: () => import("@/views/highlights/firms.vue"),
    props: (route) => ({ year: Number(route.params.year) }),
    meta: { title: "highlights.firmsTitle", roles: CONSOLE_ROLES },
  },
] satisfies RouteRecordRaw[];
