import { ReportMessage } from "@studio/core/queue/messages";
import { logger } from "@studio/core/util/logger";
import { sqsConsumer } from "./batch";

/** Report queue consumer. PLACEHOLDER: weekly reports arrive in a later issue. */
export const handler = sqsConsumer("report", ReportMessage, async (message) => {
  logger.info("weekly report arrives in a later issue; message acknowledged", {
    workspaceId: message.workspaceId,
    weekStart: message.weekStart,
  });
});
