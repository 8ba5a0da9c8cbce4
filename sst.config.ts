import type { SSTConfig } from "sst";
import { Alarms } from "./stacks/alarms";
import { Api } from "./stacks/api";
import { Queues } from "./stacks/queues";
import { Schedules } from "./stacks/schedules";
import { Storage } from "./stacks/storage";

/**
 * Studio on AWS (SST v2, CDK). Stacks, in dependency order: the table and secrets, the queues
 * and their consumers, the EventBridge schedules, the HTTP API, the alarms (one SNS topic). Every queue and schedule setting
 * comes from packages/core/src/config/jobs.ts; stacks/infra.test.ts pins the result.
 */
export default {
  config() {
    return { name: "studio", region: "us-east-1" };
  },
  stacks(app) {
    app.setDefaultFunctionProps({
      runtime: "nodejs22.x",
      architecture: "arm_64",
      memorySize: "512 MB",
      logRetention: "one_month",
      nodejs: { format: "esm" },
    });
    app.stack(Storage).stack(Queues).stack(Schedules).stack(Api).stack(Alarms);
  },
} satisfies SSTConfig;
