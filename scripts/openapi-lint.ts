/**
 * `pnpm lint:openapi`: writes the API's OpenAPI document (generated from the route schemas, as
 * `/openapi.json` serves it) to a temporary file (or the path given) and lints it with `@redocly/cli lint`,
 * recommended rules, offline. Part of `pnpm test`; exits non-zero on any error or warning.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";
process.env.STUDIO_ADMIN_TOKEN ??= "lint-only-admin-token";
const { app } = await import("../packages/functions/src/http/app");
const { openApiDocument } = await import("../packages/functions/src/http/openapi");

const file = process.argv[2] ?? join(mkdtempSync(join(tmpdir(), "studio-openapi-")), "openapi.json");
writeFileSync(file, `${JSON.stringify(openApiDocument(app), null, 2)}\n`);

const bin = join(import.meta.dirname, "..", "node_modules", ".bin", "redocly");
const run = spawnSync(
  bin,
  ["lint", file, "--config", join(import.meta.dirname, "..", "redocly.yaml"), "--format=json"],
  {
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
  },
);
interface Report {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
}
let report: Report;
try {
  report = JSON.parse(run.stdout) as Report;
} catch {
  process.stderr.write(`OpenAPI lint: redocly did not answer with a report (exit ${run.status})\n${run.stderr}\n`);
  process.exit(1);
}
// Redocly passes with warnings; Studio's contract does not: a warning fails too.
const { errors, warnings } = report.totals;
if (errors + warnings === 0) {
  process.stdout.write(`OpenAPI lint: ${file} passes @redocly/cli recommended rules (0 errors, 0 warnings)\n`);
  process.exit(0);
}
for (const p of report.problems) {
  process.stderr.write(`${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? "?"}: ${p.message}\n`);
}
process.stderr.write(`OpenAPI lint: ${errors} errors, ${warnings} warnings (rules: route-rules.ts, openapi.ts)\n`);
process.exit(1);
