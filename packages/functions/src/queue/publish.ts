import { PublishMessage } from "@studio/core/queue/messages";
import { logger } from "@studio/core/util/logger";
import { sqsConsumer } from "./batch";

/** Publish queue consumer. PLACEHOLDER until the publish engine lands (issue 3). */
export const handler = sqsConsumer("publish", PublishMessage, async (message) => {
  logger.info("publish message received (placeholder)", { postId: message.postId, kind: message.kind });
});
