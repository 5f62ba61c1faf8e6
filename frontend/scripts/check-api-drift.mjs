// Fails when src/api/schema.d.ts is not what openapi-typescript makes of ../docs/openapi.yaml today.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "seedbed-api-"));
const fresh = join(dir, "schema.d.ts");
try {
  execFileSync("npx", ["--no-install", "openapi-typescript", "../docs/openapi.yaml", "-o", fresh], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const committed = readFileSync("src/api/schema.d.ts", "utf8");
  if (readFileSync(fresh, "utf8") !== committed) {
    console.error("src/api/schema.d.ts is out of date with docs/openapi.yaml: run `npm run gen:api` and commit it.");
    process.exit(1);
  }
  console.log("API types match docs/openapi.yaml");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
