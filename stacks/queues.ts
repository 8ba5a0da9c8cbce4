import { dlqName, type QueueKind, type QueueSpec, queueName, queues } from "@studio/core/config/jobs";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Queue as SqsQueue } from "aws-cdk-lib/aws-sqs";
// aws-cdk-lib/core, not the package root: the root re-exports all 305 service modules (alone,
// 2,400 type files instead of ~300); here it took tsc's peak memory from 2.6 to 2.0 GB.
import { Duration } from "aws-cdk-lib/core";
import { type FunctionProps, Queue, type StackContext, use } from "sst/constructs";
import { Storage } from "./storage";

/**
 * One SQS queue per entry of `queues` (packages/core/src/config/jobs.ts), each with its own
 * DLQ, a visibility timeout of at least 6× its consumer's timeout, and a consumer Lambda that
 * reports partial batch failures at bounded concurrency. SST's `Queue` sets none of that by
 * itself: the DLQ and visibility go through `cdk.queue`, the event source through
 * `consumer.cdk.eventSource`.
 *
 * Also returns `runtime`: the environment, permissions and bindings every Studio function gets
 * (the schedules and the API reuse it), so any function can enqueue to any queue.
 */
export function Queues({ stack, app }: StackContext) {
  const { table, encryptionKey, openaiApiKey } = use(Storage);
  const kinds = Object.keys(queues) as QueueKind[];

  const created = kinds.map((kind) => {
    const spec = queues[kind];
    assertVisibility(spec);
    const dlq = new SqsQueue(stack, `${pascal(kind)}Dlq`, {
      queueName: dlqName(app.stage, kind),
      retentionPeriod: Duration.days(spec.dlqRetentionDays),
    });
    const queue = new Queue(stack, `${pascal(kind)}Queue`, {
      cdk: {
        queue: {
          queueName: queueName(app.stage, kind),
          visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
          deadLetterQueue: { queue: dlq, maxReceiveCount: spec.maxReceiveCount },
        },
      },
    });
    return { kind, spec, queue, dlq };
  });

  const environment: Record<string, string> = {
    STUDIO_STAGE: app.stage,
    STUDIO_TABLE_NAME: table.tableName,
  };
  // The API's public URL on a domain verified with TikTok (PULL_FROM_URL): TikTok fetches media
  // through it, which lets a lost init answer be settled (core/publish/media-pull.ts). Given at
  // deploy; without it TikTok gets the media URL itself.
  const publicApiUrl = process.env.STUDIO_PUBLIC_API_URL;
  if (publicApiUrl) environment.STUDIO_PUBLIC_API_URL = publicApiUrl;
  for (const { kind, queue, dlq } of created) {
    environment[`STUDIO_QUEUE_URL_${kind.toUpperCase()}`] = queue.queueUrl;
    environment[`STUDIO_DLQ_URL_${kind.toUpperCase()}`] = dlq.queueUrl;
  }

  const runtime = {
    environment,
    bind: [encryptionKey, openaiApiKey],
    permissions: [
      new PolicyStatement({
        actions: [
          "dynamodb:GetItem",
          "dynamodb:BatchGetItem",
          "dynamodb:Query",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
          "dynamodb:DeleteItem",
          "dynamodb:BatchWriteItem",
          "dynamodb:ConditionCheckItem",
          "dynamodb:TransactGetItems",
          "dynamodb:TransactWriteItems",
        ],
        resources: [table.tableArn, `${table.tableArn}/index/*`],
      }),
      new PolicyStatement({
        // Enqueue anywhere; ChangeMessageVisibility lets a consumer set its own backoff.
        actions: ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
        resources: created.map(({ queue }) => queue.queueArn),
      }),
    ],
  } satisfies Pick<FunctionProps, "environment" | "bind" | "permissions">;

  /** Operators inspect and replay dead letters through the API (receive, resend to the source, delete). */
  const dlqOps = new PolicyStatement({
    actions: [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:SendMessage",
      "sqs:GetQueueAttributes",
      "sqs:ChangeMessageVisibility",
    ],
    resources: created.map(({ dlq }) => dlq.queueArn),
  });

  for (const { spec, queue } of created) {
    queue.addConsumer(queue, {
      function: { ...runtime, handler: spec.handler, timeout: spec.timeoutSeconds },
      cdk: {
        eventSource: {
          batchSize: spec.batchSize,
          maxBatchingWindow: Duration.seconds(spec.maxBatchingWindowSeconds),
          reportBatchItemFailures: true,
          maxConcurrency: spec.maxConcurrency,
        },
      },
    });
  }

  stack.addOutputs(Object.fromEntries(created.map(({ kind, queue }) => [`${pascal(kind)}QueueUrl`, queue.queueUrl])));
  return {
    queues: Object.fromEntries(created.map((c) => [c.kind, c])) as Record<QueueKind, (typeof created)[number]>,
    runtime,
    dlqOps,
  };
}

/**
 * AWS guidance for SQS → Lambda: visibility ≥ 6× the function timeout, or in-flight work is
 * redelivered. A consumer with a heartbeat renews its message's visibility while it runs
 * instead (config/jobs.ts `heartbeat`): then the visibility must outlast three heartbeats, so
 * one late or failed renewal does not let the message reappear.
 */
export function assertVisibility(spec: QueueSpec) {
  if (spec.heartbeat) {
    if (spec.visibilityTimeoutSeconds < 3 * spec.heartbeat.everySeconds) {
      throw new Error(
        `queue ${spec.name}: visibility timeout ${spec.visibilityTimeoutSeconds}s < 3 × heartbeat ${spec.heartbeat.everySeconds}s`,
      );
    }
    return;
  }
  if (spec.visibilityTimeoutSeconds < 6 * spec.timeoutSeconds) {
    throw new Error(
      `queue ${spec.name}: visibility timeout ${spec.visibilityTimeoutSeconds}s < 6 × consumer timeout ${spec.timeoutSeconds}s`,
    );
  }
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
