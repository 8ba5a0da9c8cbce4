import { ChangeMessageVisibilityCommand } from "@aws-sdk/client-sqs";
import { env } from "@studio/core/config/env";
import { backoffMs } from "@studio/core/publish/backoff";
import { Budget } from "@studio/core/publish/budget";
import { InjectedCrash } from "@studio/core/publish/crash";
import { handlePublishMessage } from "@studio/core/publish/worker";
import { PublishMessage } from "@studio/core/queue/messages";
import { sqs } from "@studio/core/queue/sqs";
import { sqsConsumer } from "./batch";

/** Thrown to report a record failed after its visibility was set to the backoff delay. */
class RetryLaterError extends Error {}

/**
 * The publish queue's consumer: one core call per record, each with a time budget that ends
 * before the function's timeout (publish/budget.ts). A `retry` outcome becomes the
 * message's visibility (the backoff) and a partial-batch failure; an unexpected error (the
 * table or the queue failing) is retried the same way, backing off with the receive count,
 * until SQS moves the message to the DLQ.
 */
export const handler = sqsConsumer("publish", PublishMessage, async (message, record, context) => {
  let delaySeconds: number;
  let note: string;
  try {
    // Every record of the batch runs at once, each within what is left of the invocation.
    const remaining = context?.getRemainingTimeInMillis?.();
    const budget = remaining === undefined ? Budget.standard() : Budget.until(Date.now() + remaining);
    const outcome = await handlePublishMessage(message, { budget });
    if (outcome.kind === "ack") return;
    ({ delaySeconds, note } = outcome);
  } catch (err) {
    if (err instanceof InjectedCrash) throw err; // a dead worker sets nothing
    const receives = Number(record.attributes.ApproximateReceiveCount ?? 1);
    delaySeconds = Math.ceil(backoffMs(receives - 1) / 1000);
    note = err instanceof Error ? err.message : String(err);
  }
  await sqs()
    .send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: env.queueUrl("publish"),
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: delaySeconds,
      }),
    )
    .catch(() => undefined); // then the queue's own visibility timeout applies
  throw new RetryLaterError(note);
});
