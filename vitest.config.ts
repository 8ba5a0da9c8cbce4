import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import LongPolesFirst from "./packages/local/src/testing/sequencer";

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/`, import.meta.url));

/**
 * Three projects, runnable on their own (`pnpm test:unit`, `test:connected`, `test:infra`):
 * - unit: pure tests beside the code (`*.test.ts`), mocks allowed;
 * - connected: `*.connected.test.ts`, against DynamoDB Local, fauxqs and the platform
 *   simulators over real HTTP, through the code paths production uses;
 * - infra: the one file that synthesizes the stacks and asserts the template.
 */
export default defineConfig({
  // Tests may reach across packages (a core test uses the local runtime's emulator harness);
  // production code may not (conventions: core never imports functions or local).
  resolve: {
    alias: [
      { find: /^@studio\/core\/(.*)$/, replacement: `${pkg("core")}$1` },
      { find: /^@studio\/functions\/(.*)$/, replacement: `${pkg("functions")}$1` },
      { find: /^@studio\/local\/(.*)$/, replacement: `${pkg("local")}$1` },
    ],
  },
  test: {
    // Connected tests mostly wait on I/O (emulators, simulators, queue delays): more files in
    // flight than cores keeps the suite short on a 2-core machine.
    maxWorkers: 4,
    // The long poles first, on a clean clone too (testing/sequencer.ts).
    sequence: { sequencer: LongPolesFirst },
    // Quiet output: the SDK's maintenance notice and its node-version notice (printed once per
    // worker process: 80 copies of nine lines in a suite run) say nothing about the tests.
    env: {
      AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      SST_TELEMETRY_DISABLED: "1",
    },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          sequence: { groupOrder: 0 },
          include: ["packages/**/src/**/*.test.ts"],
          // Unit tests assert behaviour, not speed: on 2 busy cores a CPU-bound test (the fault
          // mix's 20,000 draws) or a handler module's first import can take several seconds.
          testTimeout: 30_000,
          exclude: ["**/*.connected.test.ts", "**/node_modules/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "connected",
          sequence: { groupOrder: 1 },
          include: ["packages/**/src/**/*.connected.test.ts"],
          exclude: ["**/node_modules/**"],
          globalSetup: ["packages/local/src/testing/global-setup.ts"],
          // Bounds for a busy machine, not speed targets: every wait in these tests ends as soon
          // as its state is reached (testing/studio.ts waitFor), so passing runs never sit them out.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: "infra",
          include: ["stacks/**/*.test.ts"],
          testTimeout: 120_000,
          // The synthesis bundles every function: ~20 s of CPU — beside the connected tests on 2
          // busy cores it took over 120 s, then over 300 s (2026-11-28), and starved their
          // timings meanwhile. So it runs first, with the unit tests (CPU only, no timing), and
          // the connected tests start after both (group 1). Its hook has a bound, not a target.
          sequence: { groupOrder: 0 },
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
