import { ChangeMessageVisibilityCommand } from "@aws-sdk/client-sqs";
import { env } from "@studio/core/config/env";
import { queues } from "@studio/core/config/jobs";
import { runGeneration } from "@studio/core/generation/runner";
import { GenerationMessage } from "@studio/core/queue/messages";
import { sqs } from "@studio/core/queue/sqs";
import { sqsConsumer } from "./batch";

/** Thrown to report a record failed after its visibility was set to the retry delay. */
class RetryLaterError extends Error {}

/** Seconds kept back from the Lambda's remaining time for the final writes. */
const MARGIN_MS = 15_000;

/**
 * The `llm` queue's consumer (generation/README.md): one core call per record, every LLM call
 * bounded by this invocation's remaining time; the message's visibility is renewed while the
 * run lasts (the heartbeat, generation/heartbeat.ts); a retry outcome becomes the message's
 * visibility (Retry-After / backoff) and a partial-batch failure.
 */
export const handler = sqsConsumer("llm", GenerationMessage, async (message, record, context) => {
  const remaining = context.getRemainingTimeInMillis?.() ?? queues.llm.timeoutSeconds * 1000;
  const setVisibility = async (seconds: number) => {
    await sqs().send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: env.queueUrl("llm"),
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  };
  const outcome = await runGeneration(message, {
    receiveCount: Number(record.attributes.ApproximateReceiveCount ?? 1),
    maxReceiveCount: queues.llm.maxReceiveCount,
    deadline: Date.now() + Math.max(5_000, remaining - MARGIN_MS),
    extendMessage: setVisibility,
  });
  if (outcome.kind === "ack") return;
  // On failure the queue's own visibility timeout applies.
  await setVisibility(outcome.delaySeconds).catch(() => undefined);
  throw new RetryLaterError(outcome.reason);
});
