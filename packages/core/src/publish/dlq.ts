import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { env } from "../config/env";
import type { QueueKind } from "../config/jobs";
import { messageFailures } from "../queue/failures";
import { sqs } from "../queue/sqs";
import { logger } from "../util/logger";

export interface DeadLetter {
  messageId: string;
  body: unknown;
  receiveCount: number;
  sentAt: string | null;
  firstFailure: string | null;
  lastFailure: string | null;
}

/**
 * Looks at up to `limit` dead letters without consuming them: they are received with a short
 * visibility and made visible again at once.
 *
 * @example
 * const letters = await peekDeadLetters("publish", 20);
 */
export async function peekDeadLetters(queue: QueueKind, limit = 20): Promise<DeadLetter[]> {
  const url = env.dlqUrl(queue);
  const seen = new Map<string, Message>();
  for (let round = 0; round < Math.ceil(limit / 10) + 1 && seen.size < limit; round++) {
    const res = await sqs().send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: Math.min(10, limit - seen.size),
        VisibilityTimeout: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ["All"],
      }),
    );
    const batch = res.Messages ?? [];
    if (!batch.length) break;
    for (const m of batch) if (m.MessageId) seen.set(m.MessageId, m);
  }
  const messages = [...seen.values()];
  await makeVisible(url, messages);
  const failures = await messageFailures(messages.map((m) => m.MessageId as string));
  return messages.map((m) => {
    const f = failures.get(m.MessageId as string);
    return {
      messageId: m.MessageId as string,
      body: parse(m.Body),
      // The DLQ's own receive count includes this peek; the source queue's count is what failed.
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
      sentAt: m.Attributes?.SentTimestamp ? new Date(Number(m.Attributes.SentTimestamp)).toISOString() : null,
      firstFailure: f?.firstReason ?? null,
      lastFailure: f?.lastReason ?? null,
    };
  });
}

export interface ReplayResult {
  replayed: number;
  skipped: number;
  dryRun: boolean;
  messageIds: string[];
}

/**
 * Moves dead letters back to their source queue (send, then delete), up to `limit`, those
 * matching `filter` only. With `dryRun`, nothing moves: the matching letters are counted and
 * made visible again. Safe by construction: the consumer checks every message against the
 * post's state, so replaying a message whose post is already published changes nothing.
 * (fauxqs has no StartMessageMoveTask; this works the same in AWS and lets operators filter.)
 *
 * @example
 * await replayDeadLetters("publish", { limit: 100, dryRun: true });
 */
export async function replayDeadLetters(
  queue: QueueKind,
  opts: {
    limit?: number;
    dryRun?: boolean;
    filter?: (body: unknown) => boolean;
    onProgress?: (n: number) => void;
  } = {},
): Promise<ReplayResult> {
  const limit = opts.limit ?? 100;
  const dlq = env.dlqUrl(queue);
  const target = env.queueUrl(queue);
  const result: ReplayResult = { replayed: 0, skipped: 0, dryRun: Boolean(opts.dryRun), messageIds: [] };
  const held: Message[] = [];
  while (result.replayed < limit) {
    const res = await sqs().send(
      new ReceiveMessageCommand({
        QueueUrl: dlq,
        MaxNumberOfMessages: Math.min(10, limit - result.replayed),
        VisibilityTimeout: 30,
        WaitTimeSeconds: 0,
      }),
    );
    const batch = res.Messages ?? [];
    if (!batch.length) break;
    for (const m of batch) {
      const matches = !opts.filter || opts.filter(parse(m.Body));
      if (!matches) result.skipped++;
      if (!matches || result.replayed >= limit || opts.dryRun) {
        if (matches && result.replayed < limit) {
          result.replayed++;
          result.messageIds.push(m.MessageId as string);
        }
        held.push(m); // made visible again below
        continue;
      }
      await sqs().send(new SendMessageCommand({ QueueUrl: target, MessageBody: m.Body as string }));
      await sqs().send(new DeleteMessageCommand({ QueueUrl: dlq, ReceiptHandle: m.ReceiptHandle as string }));
      result.replayed++;
      result.messageIds.push(m.MessageId as string);
      opts.onProgress?.(result.replayed);
    }
  }
  await makeVisible(dlq, held);
  logger.info("dlq replay", { queue, replayed: result.replayed, skipped: result.skipped, dryRun: result.dryRun });
  return result;
}

async function makeVisible(url: string, messages: Message[]) {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    await sqs().send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: chunk.map((m, j) => ({
          Id: String(j),
          ReceiptHandle: m.ReceiptHandle as string,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
}

/**
 * A filter on a message body's top-level fields, e.g. `{ postId: "post_…" }` or `{ kind: "publish" }`.
 *
 * @example
 * replayDeadLetters("publish", { filter: bodyMatches({ postId }) });
 */
export function bodyMatches(match: Record<string, string>): (body: unknown) => boolean {
  return (body) =>
    typeof body === "object" &&
    body !== null &&
    Object.entries(match).every(([k, v]) => String((body as Record<string, unknown>)[k]) === v);
}

function parse(body: string | undefined): unknown {
  try {
    return JSON.parse(body ?? "");
  } catch {
    return body;
  }
}
