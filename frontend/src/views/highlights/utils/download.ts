/** Downloads a file the API produces (Excel, Word) with the session, reporting the API's error if it fails. */
import { acceptLanguage, toApiError } from "@/api/client";
import { currentLocale } from "@/i18n";

function filenameOf(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (encoded?.[1]) return decodeURIComponent(encoded[1]);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain?.[1] ?? fallback;
}

export async function downloadFile(url: string, fallbackName: string): Promise<string> {
  const response = await globalThis.fetch(url, {
    credentials: "same-origin",
    headers: { "Accept-Language": acceptLanguage(currentLocale()) },
  });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw toApiError(response.status, body, response.statusText);
  }
  const name = filenameOf(response.headers.get("Content-Disposition"), fallbackName);
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 5000);
  return name;
}
