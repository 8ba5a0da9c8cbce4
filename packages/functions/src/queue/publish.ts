import { ChangeMessageVisibilityCommand } from "@aws-sdk/client-sqs";
import { env } from "@studio/core/config/env";
import { handlePublishMessage } from "@studio/core/publish/worker";
import { PublishMessage } from "@studio/core/queue/messages";
import { sqs } from "@studio/core/queue/sqs";
import { sqsConsumer } from "./batch";

/** Thrown to report a record failed after its visibility was set to the backoff delay. */
class RetryLaterError extends Error {}

/**
 * The publish queue's consumer: one core call per record; a `retry` outcome becomes the
 * message's visibility timeout (the backoff) and a partial-batch failure.
 */
export const handler = sqsConsumer("publish", PublishMessage, async (message, record) => {
  const outcome = await handlePublishMessage(message);
  if (outcome.kind === "ack") return;
  await sqs().send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: env.queueUrl("publish"),
      ReceiptHandle: record.receiptHandle,
      VisibilityTimeout: outcome.delaySeconds,
    }),
  );
  throw new RetryLaterError(outcome.note);
});
