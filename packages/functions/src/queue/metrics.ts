import { MetricsMessage } from "@studio/core/queue/messages";
import { logger } from "@studio/core/util/logger";
import { sqsConsumer } from "./batch";

/** Metrics queue consumer. PLACEHOLDER: metrics refresh arrives in a later issue. */
export const handler = sqsConsumer("metrics", MetricsMessage, async (message) => {
  logger.info("metrics refresh arrives in a later issue; message acknowledged", {
    workspaceId: message.workspaceId,
    accountId: message.accountId,
  });
});
