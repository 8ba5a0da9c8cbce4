import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { getStack } from "sst/constructs";
import { Api } from "../stacks/api";
import { Queues } from "../stacks/queues";
import { Schedules } from "../stacks/schedules";
import { Storage } from "../stacks/storage";
import { synthesize } from "../stacks/synth";

/**
 * `pnpm synth [stage]`: synthesizes the stacks offline, exactly as stacks/infra.test.ts does,
 * and writes each CloudFormation template to `.sst/dist/<stack name>.template.json`.
 */
const stage = process.argv[2] ?? process.env.SST_STAGE ?? "local";
const { template } = await synthesize(stage);
const out = path.resolve(".sst/dist");
await mkdir(out, { recursive: true });
for (const stack of [Storage, Queues, Schedules, Api]) {
  const file = path.join(out, `${getStack(stack).stackName}.template.json`);
  await writeFile(file, `${JSON.stringify(template(stack).toJSON(), null, 2)}\n`);
  console.log(file);
}
