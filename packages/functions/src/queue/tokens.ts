import { keepAccount } from "@studio/core/account/keeper";
import { TokenMessage } from "@studio/core/queue/messages";
import { sqsConsumer } from "./batch";

/**
 * The token keeper's queue: one account per message. A transient platform failure throws, so the
 * record is reported failed and comes back after the visibility timeout (then the DLQ).
 */
export const handler = sqsConsumer("tokens", TokenMessage, async (message) => {
  await keepAccount(message);
});
