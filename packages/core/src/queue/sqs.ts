import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { awsClientConfig, honourAbortScope } from "../aws/clients";
import { env } from "../config/env";
import type { QueueKind } from "../config/jobs";

let client: SQSClient | undefined;

/**
 * The SQS client. Built without an endpoint so `AWS_ENDPOINT_URL_SQS` points it at fauxqs
 * locally; `useQueueUrlAsEndpoint: false` keeps it there (fauxqs's queue URLs name the host
 * `sqs.<region>.localhost`, which does not resolve). In AWS the resolved endpoint is the
 * regional one, the same host as the queue URLs. Connection and request timeouts, and the abort
 * signal of the record being worked on, bound every request (aws/clients.ts).
 */
export function sqs(): SQSClient {
  client ??= createSqs();
  return client;
}

/**
 * An SQS client with Studio's settings; `endpoint` for tests (e.g. a proxy that stalls).
 *
 * @example
 * setSqs(createSqs({ endpoint: proxy.url }));
 */
export function createSqs(opts: { endpoint?: string } = {}): SQSClient {
  return honourAbortScope(
    new SQSClient({
      ...awsClientConfig(),
      useQueueUrlAsEndpoint: false,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    }),
  );
}

export function setSqs(next: SQSClient | undefined) {
  client = next;
}

/** SQS caps DelaySeconds at 15 minutes. */
export const MAX_DELAY_SECONDS = 900;

export interface OutgoingMessage {
  body: unknown;
  delaySeconds?: number;
}

/**
 * Sends messages to a queue in batches of 10; throws if any entry failed, after the others were
 * sent (callers are idempotent: a message sent twice is a no-op at the consumer).
 *
 * @example
 * await sendMessages("publish", [{ body: { kind: "publish", postId, version }, delaySeconds: 12 }]);
 */
export async function sendMessages(queue: QueueKind, messages: OutgoingMessage[]): Promise<void> {
  const url = env.queueUrl(queue);
  const failed: string[] = [];
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const res = await sqs().send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: chunk.map((m, j) => ({
          Id: String(j),
          MessageBody: JSON.stringify(m.body),
          DelaySeconds: clampDelay(m.delaySeconds),
        })),
      }),
    );
    for (const f of res.Failed ?? []) failed.push(`${f.Id}: ${f.Code} ${f.Message}`);
  }
  if (failed.length) throw new Error(`SQS rejected ${failed.length} message(s): ${failed.join("; ")}`);
}

export async function sendMessage(queue: QueueKind, body: unknown, delaySeconds?: number): Promise<void> {
  await sqs().send(
    new SendMessageCommand({
      QueueUrl: env.queueUrl(queue),
      MessageBody: JSON.stringify(body),
      DelaySeconds: clampDelay(delaySeconds),
    }),
  );
}

export function clampDelay(seconds: number | undefined): number {
  if (!seconds || seconds < 0) return 0;
  return Math.min(MAX_DELAY_SECONDS, Math.ceil(seconds));
}
