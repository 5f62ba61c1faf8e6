import { createPinia } from "pinia";
import { createApp } from "vue";

import { configureClient } from "@/api/client";
import App from "@/App.vue";
import { currentLocale, i18n } from "@/i18n";
import { router } from "@/router";
import { useUserStore } from "@/stores/user";
import "@/styles/index.css";

const app = createApp(App);
const pinia = createPinia();
app.use(pinia).use(i18n).use(router);

configureClient({
  locale: currentLocale,
  // A 401 after sign-in means the session ended: back to the login page, then back here.
  onUnauthorized: () => {
    const user = useUserStore(pinia);
    if (!user.me) return; // not signed in yet: the router guard is already on its way to the login page
    user.forget();
    const here = router.currentRoute.value;
    if (here.name === "login") return;
    void router.push({ name: "login", query: { redirect: here.fullPath, expired: "1" } });
  },
});

document.documentElement.lang = currentLocale();
app.mount("#app");
