import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * docs/data-model.md promises that every request and job path is served by a GetItem, a
 * BatchGetItem or a Query. This keeps it true: no Scan (SDK command or ElectroDB `.scan`) in the
 * domain or the handlers.
 */
const roots = ["packages/core/src", "packages/functions/src"];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith(".ts") && !path.endsWith(".test.ts") ? [path] : [];
  });
}

describe("no Scan in request or job paths", () => {
  it("finds no ScanCommand and no ElectroDB scan in core or functions", () => {
    const offenders = roots.flatMap(files).filter((f) => /\bScanCommand\b|\.scan\b\s*\./.test(readFileSync(f, "utf8")));
    expect(offenders).toEqual([]);
  });

  it("documents every index the table has", () => {
    const doc = readFileSync("docs/data-model.md", "utf8");
    for (const index of ["gsi1", "gsi2", "due", "lease"]) expect(doc).toContain(`\`${index}\``);
  });
});
