import * as JobRun from "@studio/core/job-run/job-run";
import { CompetitorsMessage } from "@studio/core/queue/messages";
import { sqsConsumer } from "./batch";

/** Competitors queue consumer: one competitor of one run. (Refresh itself: next commit.) */
export const handler = sqsConsumer("competitors", CompetitorsMessage, async (message) => {
  await JobRun.completePart(message, message.competitorId, { counts: {} });
});
