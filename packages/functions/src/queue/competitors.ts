import { CompetitorsMessage } from "@studio/core/queue/messages";
import { logger } from "@studio/core/util/logger";
import { sqsConsumer } from "./batch";

/** Competitors queue consumer. PLACEHOLDER: competitor tracking arrives in a later issue. */
export const handler = sqsConsumer("competitors", CompetitorsMessage, async (message) => {
  logger.info("competitors refresh arrives in a later issue; message acknowledged", {
    workspaceId: message.workspaceId,
  });
});
