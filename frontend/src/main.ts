import { createPinia } from "pinia";
import { createApp } from "vue";

import { configureClient } from "@/api/client";
import App from "@/App.vue";
import { currentLocale, i18n } from "@/i18n";
import { router } from "@/router";
import { handleUnauthorized } from "@/router/session";
import { useUserStore } from "@/stores/user";
import "@/styles/index.css";

const app = createApp(App);
const pinia = createPinia();
app.use(pinia).use(i18n).use(router);

configureClient({
  locale: currentLocale,
  onUnauthorized: () => handleUnauthorized(router, useUserStore(pinia)),
});

document.documentElement.lang = currentLocale();
app.mount("#app");
