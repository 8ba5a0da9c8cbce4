import { ChangeMessageVisibilityCommand } from "@aws-sdk/client-sqs";
import { env } from "@studio/core/config/env";
import { publishTiming } from "@studio/core/config/publishing";
import { backoffMs } from "@studio/core/publish/backoff";
import { Budget } from "@studio/core/publish/budget";
import { InjectedCrash } from "@studio/core/publish/crash";
import { handlePublishMessage } from "@studio/core/publish/worker";
import { PublishMessage } from "@studio/core/queue/messages";
import { sqs } from "@studio/core/queue/sqs";
import { sqsConsumer } from "./batch";

/** Thrown to report a record failed after its visibility was set to the backoff delay. */
class RetryLaterError extends Error {}

/** A record still running at the end of its budget (a slow table, a stalled socket). */
class OverrunError extends Error {}

/** A record that overran comes back this soon (its lease, if it holds one, decides what happens then). */
const OVERRUN_RETRY_SECONDS = 5;

/**
 * Resolves with `work`, or rejects with OverrunError at `deadline`: the invocation then returns
 * the record as failed instead of timing out and failing the whole batch. The late work is
 * harmless: every write it makes is conditional on the attempt it holds.
 */
async function within<T>(work: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new OverrunError("record overran its time budget")),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([work, overrun]);
  } finally {
    clearTimeout(timer);
  }
}

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
  // Every record of the batch runs at once, each within what is left of the invocation.
  const remaining = context?.getRemainingTimeInMillis?.();
  const budget = remaining === undefined ? Budget.standard() : Budget.until(Date.now() + remaining);
  try {
    // The margin after the budget: half for the record's own bookkeeping (its AWS requests are
    // aborted then: Budget.signal); a record still running an eighth later — stuck on something
    // no budget reaches — is returned alone, so it never times out the others; the rest is for
    // reporting it (its visibility, why it failed).
    const outcome = await within(
      handlePublishMessage(message, { budget }),
      budget.deadline + (publishTiming().invocation.marginMs * 5) / 8,
    );
    if (outcome.kind === "ack") return;
    ({ delaySeconds, note } = outcome);
  } catch (err) {
    if (err instanceof InjectedCrash) throw err; // a dead worker sets nothing
    const receives = Number(record.attributes.ApproximateReceiveCount ?? 1);
    delaySeconds = err instanceof OverrunError ? OVERRUN_RETRY_SECONDS : Math.ceil(backoffMs(receives - 1) / 1000);
    note = err instanceof Error ? err.message : String(err);
  }
  await sqs()
    .send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: env.queueUrl("publish"),
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: delaySeconds,
      }),
      // Within the margin the budget kept for reporting, never past the invocation.
      {
        abortSignal: AbortSignal.timeout(
          Math.max(1, budget.deadline + publishTiming().invocation.marginMs - Date.now() - 50),
        ),
      },
    )
    .catch(() => undefined); // then the queue's own visibility timeout applies
  throw new RetryLaterError(note);
});
