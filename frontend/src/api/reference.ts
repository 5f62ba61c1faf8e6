/** Reference lists the pages share (zones, industry sections and divisions), fetched once per page load. */
import { all, api, type Schemas } from "./client";

type Zone = Schemas["Zone"];
type Industry = Schemas["Industry"];

const cache = new Map<string, Promise<unknown>>();

function once<T>(key: string, load: () => Promise<T>): Promise<T> {
  if (!cache.has(key)) {
    cache.set(
      key,
      load().catch((error: unknown) => {
        cache.delete(key);
        throw error;
      }),
    );
  }
  return cache.get(key) as Promise<T>;
}

export function zones(): Promise<Zone[]> {
  return once("zones", () =>
    all((page) => api.GET("/api/v1/zones/", { params: { query: { page, page_size: 500, ordering: "id" } } })),
  );
}

/** GB/T 4754 sections (A–T). */
export function industrySections(): Promise<Industry[]> {
  return once("sections", () =>
    all((page) => api.GET("/api/v1/industries/", { params: { query: { page, page_size: 500, level: 1 } } })),
  );
}

/** The divisions (two digits) of one section. */
export function industryDivisions(section: string): Promise<Industry[]> {
  return once(`divisions:${section}`, () =>
    all((page) =>
      api.GET("/api/v1/industries/", { params: { query: { page, page_size: 500, level: 2, section } } }),
    ),
  );
}

/** Industry classes (the level a firm records) matching a code prefix or a name part. */
export async function searchIndustryClasses(q: string): Promise<Industry[]> {
  const { data } = await api.GET("/api/v1/industries/", { params: { query: { q, level: 4, page_size: 30 } } });
  return data?.results ?? [];
}

export function clearReferenceCache(): void {
  cache.clear();
}
