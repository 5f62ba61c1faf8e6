import { defineStore } from "pinia";
import { computed, ref } from "vue";

import { api, ApiError, resetCsrfToken, unwrap, type Schemas } from "@/api/client";

export type Role = "admin" | "staff" | "viewer" | "enterprise";

export interface ScopeZone {
  id: number;
  code: string;
  name: string;
}

export interface ScopeFirm {
  id: number;
  uscc: string;
  name: string;
}

export interface Scope {
  role: Role;
  all_zones: boolean;
  zones: ScopeZone[];
  firms: ScopeFirm[];
}

/** The signed-in user (GET /me/), loaded once by the router guard. */
export const useUserStore = defineStore("user", () => {
  const me = ref<Schemas["Me"] | null>(null);
  const loaded = ref(false);

  const role = computed<Role | null>(() => (me.value ? (me.value.role as Role) : null));
  const scope = computed<Scope | null>(() => (me.value ? (me.value.scope as unknown as Scope) : null));
  const isConsoleUser = computed(() => role.value === "admin" || role.value === "staff" || role.value === "viewer");
  const isEnterprise = computed(() => role.value === "enterprise");
  const isAdmin = computed(() => role.value === "admin");
  /** Staff and administrators change records; viewers only read. */
  const canEdit = computed(() => role.value === "admin" || role.value === "staff");
  const firms = computed(() => scope.value?.firms ?? []);

  async function load(): Promise<void> {
    try {
      me.value = await unwrap(api.GET("/api/v1/me/"));
    } catch (error) {
      if (!(error instanceof ApiError && (error.status === 401 || error.status === 403))) throw error;
      me.value = null;
    } finally {
      loaded.value = true;
    }
  }

  async function login(username: string, password: string): Promise<void> {
    me.value = await unwrap(api.POST("/api/v1/auth/login/", { body: { username, password } }));
    loaded.value = true;
    resetCsrfToken();
  }

  async function logout(): Promise<void> {
    try {
      await unwrap(api.POST("/api/v1/auth/logout/"));
    } finally {
      forget();
    }
  }

  /** The session is gone (logout, or a 401): drop what we knew. */
  function forget(): void {
    me.value = null;
    loaded.value = true;
    resetCsrfToken();
  }

  return { me, loaded, role, scope, isConsoleUser, isEnterprise, isAdmin, canEdit, firms, load, login, logout, forget };
});
