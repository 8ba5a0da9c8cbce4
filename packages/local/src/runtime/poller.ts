import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { logger } from "@studio/core/util/logger";
import type { SQSBatchResponse } from "aws-lambda";
import { FunctionTimeoutError, invokeHandler, type LambdaHandler, lambdaContext, loadHandler } from "./handler-module";
import { sqsEvent } from "./sqs-event";

/** What a poller needs from a queue spec (config/jobs.ts `QueueSpec`, or a test queue's). */
export interface PollerSpec {
  name: string;
  handler: string;
  timeoutSeconds: number;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  maxConcurrency: number;
}

export interface PollerStats {
  batches: number;
  records: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  crashed: number;
}

/**
 * The local stand-in for Lambda's SQS event source mapping, for one queue: long-polls
 * ReceiveMessage, fills a batch (batch size, batching window), invokes the handler module with
 * a real `SQSEvent` and a Lambda-like context, and honours the `SQSBatchResponse`:
 * - the records the handler reports in `batchItemFailures` are left alone, so they return
 *   after their visibility timeout (which the handler may have changed); the rest are deleted;
 * - a handler that throws, or runs past its timeout, failed the whole batch (nothing deleted);
 * - an identifier in `batchItemFailures` that is not in the batch fails the whole batch, as
 *   Lambda does.
 * At most `maxConcurrency` batches are in flight. Moving a message to the DLQ after
 * `maxReceiveCount` receives is SQS's job (fauxqs does it), exactly as in AWS.
 *
 * @example
 * const poller = new QueuePoller({ spec: queues.publish, queueUrl, queueArn, sqs });
 * poller.start(); … await poller.stop(30_000);
 */
export class QueuePoller {
  readonly stats: PollerStats = { batches: 0, records: 0, succeeded: 0, failed: 0, timedOut: 0, crashed: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private loop: Promise<void> | undefined;
  private handler: LambdaHandler | undefined;
  private readonly functionName: string;

  constructor(
    private readonly opts: {
      spec: PollerSpec;
      queueUrl: string;
      queueArn: string;
      sqs: SQSClient;
      /** Long-poll wait per ReceiveMessage (1–20 s). Shorter = quicker shutdown. */
      waitTimeSeconds?: number;
      functionName?: string;
    },
  ) {
    this.functionName = opts.functionName ?? `studio-${opts.spec.name}-consumer`;
  }

  get inFlightBatches(): number {
    return this.inFlight.size;
  }

  /** Loads the handler module (fails fast when it does not exist) and starts polling. */
  async start(): Promise<void> {
    if (this.running) return;
    this.handler = await loadHandler(this.opts.spec.handler);
    this.running = true;
    this.loop = this.pollLoop();
  }

  /**
   * Stops receiving, then waits up to `graceMs` for the batches in flight. A batch still running
   * after that is abandoned: its messages come back after their visibility timeout (or after a
   * restart, from the snapshot). Returns how many batches were abandoned.
   */
  async stop(graceMs: number): Promise<number> {
    this.running = false;
    await this.loop;
    if (this.inFlight.size === 0) return 0;
    const done = Promise.all([...this.inFlight]).then(() => "done" as const);
    const winner = await Promise.race([done, sleep(graceMs, "timeout" as const)]);
    if (winner === "timeout") {
      logger.warn("poller stopped with batches still running; their messages return to the queue", {
        queue: this.opts.spec.name,
        batches: this.inFlight.size,
      });
      return this.inFlight.size;
    }
    return 0;
  }

  private async pollLoop(): Promise<void> {
    const { spec } = this.opts;
    while (this.running) {
      if (this.inFlight.size >= spec.maxConcurrency) {
        await Promise.race(this.inFlight);
        continue;
      }
      let messages: Message[];
      try {
        messages = await this.receiveBatch();
      } catch (err) {
        if (!this.running) break;
        logger.error("receive failed; retrying", { queue: spec.name, error: String(err) });
        await sleep(1000);
        continue;
      }
      if (messages.length === 0) continue;
      if (!this.running) {
        // Stopped while the receive was open: hand the messages back at once, untouched.
        await this.release(messages);
        break;
      }
      const batch: Promise<void> = this.invoke(messages)
        .catch((err) => logger.error("batch invocation failed", { queue: spec.name, error: String(err) }))
        .finally(() => this.inFlight.delete(batch));
      this.inFlight.add(batch);
    }
  }

  /** One ReceiveMessage, then more within the batching window until the batch is full. */
  private async receiveBatch(): Promise<Message[]> {
    const { spec } = this.opts;
    const wait = this.opts.waitTimeSeconds ?? 20;
    const messages = await this.receive(Math.min(10, spec.batchSize), wait);
    if (messages.length === 0 || spec.maxBatchingWindowSeconds <= 0) return messages;
    const windowEnds = Date.now() + spec.maxBatchingWindowSeconds * 1000;
    while (messages.length < spec.batchSize && this.running) {
      const left = windowEnds - Date.now();
      if (left <= 0) break;
      const more = await this.receive(
        Math.min(10, spec.batchSize - messages.length),
        Math.max(1, Math.floor(left / 1000)),
      );
      messages.push(...more);
      if (more.length === 0 && left < 1000) break;
    }
    return messages;
  }

  private async receive(max: number, waitTimeSeconds: number): Promise<Message[]> {
    const res = await this.opts.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.opts.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitTimeSeconds,
        AttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    return res.Messages ?? [];
  }

  private async invoke(messages: Message[]): Promise<void> {
    const { spec, queueArn } = this.opts;
    const requestId = randomUUID();
    const event = sqsEvent(messages, queueArn);
    const context = lambdaContext(this.functionName, spec.timeoutSeconds, requestId);
    this.stats.batches++;
    this.stats.records += messages.length;
    let failedIds: Set<string>;
    try {
      const result = await invokeHandler<SQSBatchResponse | undefined | null>(
        this.handler as LambdaHandler,
        event,
        context,
        spec.timeoutSeconds,
      );
      failedIds = this.failedIdentifiers(messages, result);
    } catch (err) {
      if (err instanceof FunctionTimeoutError) {
        this.stats.timedOut++;
        logger.error("consumer timed out: the whole batch returns after its visibility timeout", {
          queue: spec.name,
          requestId,
          records: messages.length,
          timeoutSeconds: spec.timeoutSeconds,
        });
      } else {
        this.stats.crashed++;
        logger.error("consumer threw: the whole batch returns after its visibility timeout", {
          queue: spec.name,
          requestId,
          records: messages.length,
          error: err instanceof Error ? err.message : String(err),
        });
      }
      failedIds = new Set(messages.map((m) => m.MessageId as string));
    }
    const done = messages.filter((m) => !failedIds.has(m.MessageId as string));
    this.stats.failed += failedIds.size;
    this.stats.succeeded += done.length;
    if (failedIds.size > 0 && failedIds.size < messages.length) {
      logger.info("partial batch failure", {
        queue: spec.name,
        requestId,
        failed: failedIds.size,
        of: messages.length,
      });
    }
    await this.delete(done);
  }

  /** Lambda's reading of an `SQSBatchResponse` (ReportBatchItemFailures). */
  private failedIdentifiers(messages: Message[], result: SQSBatchResponse | undefined | null): Set<string> {
    const failures = result?.batchItemFailures ?? [];
    const ids = new Set(messages.map((m) => m.MessageId as string));
    const failed = new Set<string>();
    for (const f of failures) {
      if (!f?.itemIdentifier || !ids.has(f.itemIdentifier)) {
        logger.error("batchItemFailures names a record not in the batch: the whole batch failed", {
          queue: this.opts.spec.name,
          itemIdentifier: f?.itemIdentifier ?? null,
        });
        return ids;
      }
      failed.add(f.itemIdentifier);
    }
    return failed;
  }

  private async delete(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      try {
        const res = await this.opts.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.opts.queueUrl,
            Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle as string })),
          }),
        );
        for (const f of res.Failed ?? []) {
          logger.warn("delete failed; the message will be delivered again", {
            queue: this.opts.spec.name,
            code: f.Code,
            message: f.Message,
          });
        }
      } catch (err) {
        logger.warn("delete failed; the batch will be delivered again", {
          queue: this.opts.spec.name,
          error: String(err),
        });
      }
    }
  }

  private async release(messages: Message[]): Promise<void> {
    try {
      await this.opts.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.opts.queueUrl,
          Entries: messages.map((m, j) => ({
            Id: String(j),
            ReceiptHandle: m.ReceiptHandle as string,
            VisibilityTimeout: 0,
          })),
        }),
      );
    } catch (err) {
      logger.warn("could not release messages received during shutdown", {
        queue: this.opts.spec.name,
        error: String(err),
      });
    }
  }
}
