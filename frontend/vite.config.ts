/// <reference types="vitest/config" />
import { fileURLToPath, URL } from "node:url";

import vue from "@vitejs/plugin-vue";
import AutoImport from "unplugin-auto-import/vite";
import { ElementPlusResolver } from "unplugin-vue-components/resolvers";
import Components from "unplugin-vue-components/vite";
import { defineConfig } from "vite";

// Django serves the build: index.html through backend/apps/web, the assets as static files under
// /static/app/ (STATICFILES_DIRS maps frontend/dist there), so the app and the API share one origin.
export default defineConfig(({ command }) => ({
  // The dev server serves the app at its root; the build lives under Django's static URL.
  base: command === "build" ? "/static/app/" : "/",
  plugins: [
    vue(),
    // Element Plus on demand: only the components and services a page uses end up in the bundle.
    AutoImport({
      resolvers: [ElementPlusResolver()],
      dts: "src/types/auto-imports.d.ts",
    }),
    Components({
      resolvers: [ElementPlusResolver()],
      dts: "src/types/components.d.ts",
      dirs: [],
    }),
  ],
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  server: {
    // `npm run dev` against `./seedbed run` on port 8000.
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/admin": "http://127.0.0.1:8000",
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      output: {
        // Named vendor chunks (the framework loads on every page, ECharts only with the dashboard);
        // Element Plus stays split per page, so a page loads only the components it uses.
        codeSplitting: {
          groups: [
            { name: "vue", test: /node_modules[\\/](@vue|vue|vue-router|pinia|vue-i18n|@intlify)[\\/]/ },
            { name: "echarts", test: /node_modules[\\/](echarts|zrender|vue-echarts)[\\/]/ },
          ],
        },
      },
    },
  },
  test: {
    environment: "happy-dom",
    environmentOptions: { happyDOM: { url: "http://localhost/" } },
    include: ["src/**/*.spec.ts"],
  },
}));
