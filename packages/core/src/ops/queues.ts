import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { env } from "../config/env";
import { type QueueKind, queues } from "../config/jobs";
import { sqs } from "../queue/sqs";

export interface QueueDepth {
  queue: QueueKind;
  /** Messages available for retrieval. */
  visible: number;
  /** Received by a consumer, not yet deleted. */
  inFlight: number;
  /** Sent with a delay that has not elapsed. */
  delayed: number;
  /** Messages in the queue's dead-letter queue (visible + in flight + delayed). */
  deadLetters: number;
}

/**
 * Approximate depth of every queue of config/jobs.ts and of its DLQ (SQS's own counters).
 *
 * @example
 * const depths = await queueDepths(); // [{ queue: "publish", visible: 0, inFlight: 2, delayed: 5, deadLetters: 0 }, …]
 */
export async function queueDepths(): Promise<QueueDepth[]> {
  return Promise.all(
    Object.values(queues).map(async (q) => {
      const [main, dlq] = await Promise.all([counts(env.queueUrl(q.name)), counts(env.dlqUrl(q.name))]);
      return { queue: q.name, ...main, deadLetters: dlq.visible + dlq.inFlight + dlq.delayed };
    }),
  );
}

async function counts(url: string): Promise<{ visible: number; inFlight: number; delayed: number }> {
  const { Attributes: a = {} } = await sqs().send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  return {
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}
