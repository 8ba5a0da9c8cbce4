import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The suite's file order: the long poles first (longest-first is what keeps a parallel run's
 * end short), then Vitest's own order within each tier.
 *
 * Vitest orders files by their durations in its cache (node_modules/.vite), and on a machine
 * without that cache — CI's clean clone — by file size, biggest first. Size says nothing about
 * duration here: the chaos run is a 40-line file that takes two minutes, so on CI it started
 * last (at +640 s of a 765 s run, 2026-11-28) and the suite waited for it alone. The tiers below
 * say what takes long, whatever the cache holds:
 * 1. the chaos run (a whole runtime as a child process, a SIGKILL and a restart);
 * 2. the end-to-end tests, the runtime's and the demo (whole runtimes, real queue delays);
 * 3. the other connected tests;
 * 4. the rest.
 * (The infra and unit tests run before the connected ones: vitest.config.ts `groupOrder`.)
 */
const TIERS: RegExp[] = [
  /\/chaos\/[^/]+\.connected\.test\.ts$/,
  /\/local\/src\/(e2e|runtime)\/[^/]+\.connected\.test\.ts$|\/demo\.connected\.test\.ts$/,
  /\.connected\.test\.ts$/,
];

export const tierOf = (path: string): number => {
  const i = TIERS.findIndex((re) => re.test(path));
  return i === -1 ? TIERS.length : i;
};

export default class LongPolesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const root = this.ctx.config.root;
    const tier = new Map(base.map((f) => [f, tierOf(relative(root, f.moduleId).split("\\").join("/"))]));
    // Array.prototype.sort is stable: within a tier, Vitest's order is kept.
    return [...base].sort((a, b) => (tier.get(a) ?? 0) - (tier.get(b) ?? 0));
  }
}
