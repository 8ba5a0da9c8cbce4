import * as JobRun from "@studio/core/job-run/job-run";
import { MetricsMessage } from "@studio/core/queue/messages";
import { sqsConsumer } from "./batch";

/** Metrics queue consumer: one account of one run. (Refresh itself: next commit.) */
export const handler = sqsConsumer("metrics", MetricsMessage, async (message) => {
  await JobRun.completePart(message, message.accountId, { counts: {} });
});
