import { all, api, type Schemas } from "@/api/client";

let cached: Promise<Schemas["Programme"][]> | null = null;

/** The active programmes (codes and names), fetched once per page load. */
export function activeProgrammes(): Promise<Schemas["Programme"][]> {
  cached ??= all((page) =>
    api.GET("/api/v1/programmes/", { params: { query: { active: true, page, page_size: 200, ordering: "id" } } }),
  ).catch((error: unknown) => {
    cached = null;
    throw error;
  });
  return cached;
}

export function programmeName(programme: Schemas["Programme"], locale: string): string {
  return locale === "en" ? programme.name_en || programme.name_zh : programme.name_zh;
}
