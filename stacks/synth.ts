import { Template } from "aws-cdk-lib/assertions";
import { App, getStack } from "sst/constructs";
import type { FunctionalStack } from "sst/constructs/FunctionalStack.js";
import { initProject } from "sst/project.js";
import config from "../sst.config";

/** The fake account the offline synthesis uses; passing it keeps SST from calling STS. */
export const TEST_ACCOUNT = "123456789012";

/**
 * Synthesizes every stack of sst.config.ts offline: no AWS call, no credentials. Used by the
 * infra test and by `pnpm synth`. Bundles every function (esbuild), so call it once.
 *
 * SST skips its bootstrap-stack lookup only when NODE_ENV is "test" (vitest sets it; the
 * script sets it too), and skips STS because the account is given.
 *
 * @example
 * const synth = await synthesize("test");
 * const queues = synth.template(Queues);
 */
export async function synthesize(stage: string) {
  process.env.SST_TELEMETRY_DISABLED = "1";
  process.env.NODE_ENV = "test";
  await initProject({ stage });
  const { name, region } = await config.config();
  const app = new App({ mode: "deploy", stage, name, region, account: TEST_ACCOUNT });
  await config.stacks(app);
  await app.finish();
  const template = (stack: FunctionalStack<unknown>) => Template.fromStack(getStack(stack));
  return { app, template };
}
