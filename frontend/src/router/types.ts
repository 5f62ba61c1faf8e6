import type { Role } from "@/stores/user";

declare module "vue-router" {
  interface RouteMeta {
    /** i18n key of the page title (menu entry, breadcrumb, document title). */
    title?: string;
    /** Who may open the page; absent means every signed-in user. */
    roles?: Role[];
    /** Shown in the left menu, with this Element Plus icon name. */
    menu?: boolean;
    icon?: string;
    /** Reachable without signing in. */
    public?: boolean;
  }
}

export const CONSOLE_ROLES: Role[] = ["admin", "staff", "viewer"];
export const ENTERPRISE_ROLES: Role[] = ["enterprise"];
