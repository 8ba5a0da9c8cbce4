/**
 * The one place that names Studio's background work: queues, their consumers' settings and
 * the schedules that fan work out. The SST stacks and the local runtime both read this module,
 * so what runs on a laptop is configured exactly like what runs in AWS, and the infra test
 * pins it.
 */

export type QueueKind = "publish" | "metrics" | "report" | "competitors" | "llm" | "tokens";

export interface QueueSpec {
  /** Logical name; the physical name is `${stage}-studio-${name}`. */
  name: QueueKind;
  /** Handler module (relative to the repo root) and export, as SST wants it. */
  handler: string;
  /** Lambda timeout of the consumer, in seconds. */
  timeoutSeconds: number;
  /**
   * Queue visibility timeout: at least 6× the consumer timeout (AWS guidance for SQS → Lambda),
   * unless the consumer keeps its message hidden with a `heartbeat` (then a few heartbeats).
   */
  visibilityTimeoutSeconds: number;
  /**
   * A consumer whose work may run for minutes (the `llm` queue) keeps its message hidden, and
   * its lease on the work alive, by renewing both every `everySeconds` while it runs
   * (ChangeMessageVisibility back to `visibilityTimeoutSeconds`). A worker that dies stops
   * renewing: its message is visible again, and its lease expired, within `visibilityTimeoutSeconds`.
   */
  heartbeat?: { everySeconds: number };
  /** Records per Lambda invocation. */
  batchSize: number;
  /** How long the event source waits to fill a batch, seconds. */
  maxBatchingWindowSeconds: number;
  /** Upper bound of concurrent consumer invocations (SQS event source maximumConcurrency, ≥ 2). */
  maxConcurrency: number;
  /** Receives before SQS moves a message to the DLQ. */
  maxReceiveCount: number;
  /** DLQ retention, days (14 is the SQS maximum: time for an operator to look). */
  dlqRetentionDays: number;
}

export type ScheduleKind =
  | "publishDispatcher"
  | "metricsRefresh"
  | "weeklyReport"
  | "competitorsRefresh"
  | "tokenKeeper";

export interface ScheduleSpec {
  name: ScheduleKind;
  /** EventBridge expression, exactly as the rule gets it. All in UTC. */
  expression: string;
  handler: string;
  timeoutSeconds: number;
}

/**
 * A schedule that fans its work out to a queue of its own (with its DLQ): ONE entry names both,
 * and `queues` and `schedules` below take their halves from it, so the stacks and the local
 * runtime (which read those two records) create the schedule, the queue, the DLQ and both
 * functions from this one place.
 */
export interface FanOutJob<S extends ScheduleKind, Q extends QueueKind> {
  schedule: ScheduleSpec & { name: S };
  queue: QueueSpec & { name: Q };
}

/**
 * The token keeper: every 15 minutes the schedule sends one message per account whose token
 * needs attention (refresh well before expiry, a validity check, a warning, or marking it
 * `needs_reconnect` ahead of its posts); the queue's consumer does it (account/keeper.ts).
 * How far ahead, per platform: config/tokens.ts.
 */
export const tokenKeeper: FanOutJob<"tokenKeeper", "tokens"> = {
  schedule: {
    name: "tokenKeeper",
    expression: "cron(*/15 * * * ? *)",
    handler: "packages/functions/src/cron/token-keeper.handler",
    timeoutSeconds: 60,
  },
  queue: {
    name: "tokens",
    handler: "packages/functions/src/queue/tokens.handler",
    timeoutSeconds: 30,
    visibilityTimeoutSeconds: 180,
    batchSize: 5,
    maxBatchingWindowSeconds: 1,
    maxConcurrency: 2,
    maxReceiveCount: 5,
    dlqRetentionDays: 14,
  },
};

export const queues: Record<QueueKind, QueueSpec> = {
  publish: {
    name: "publish",
    handler: "packages/functions/src/queue/publish.handler",
    timeoutSeconds: 30,
    visibilityTimeoutSeconds: 180,
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    // A message arrives 1–2 s before its post's time and its record waits for it, and a TikTok
    // record polls ~1.7 s more: at 1,000 posts a minute (17 a second, mostly batches of one or
    // two) that is ~45 records in flight; 20 concurrent batches left messages waiting to be
    // picked up. 50 keeps that headroom (the function's own concurrency, not a shared pool).
    maxConcurrency: 50,
    maxReceiveCount: 10,
    dlqRetentionDays: 14,
  },
  metrics: {
    name: "metrics",
    handler: "packages/functions/src/queue/metrics.handler",
    timeoutSeconds: 60,
    visibilityTimeoutSeconds: 360,
    batchSize: 5,
    maxBatchingWindowSeconds: 1,
    maxConcurrency: 5,
    maxReceiveCount: 5,
    dlqRetentionDays: 14,
  },
  report: {
    name: "report",
    handler: "packages/functions/src/queue/report.handler",
    timeoutSeconds: 120,
    visibilityTimeoutSeconds: 720,
    batchSize: 1,
    maxBatchingWindowSeconds: 0,
    maxConcurrency: 3,
    maxReceiveCount: 3,
    dlqRetentionDays: 14,
  },
  competitors: {
    name: "competitors",
    handler: "packages/functions/src/queue/competitors.handler",
    timeoutSeconds: 60,
    visibilityTimeoutSeconds: 360,
    batchSize: 5,
    maxBatchingWindowSeconds: 1,
    maxConcurrency: 3,
    maxReceiveCount: 5,
    dlqRetentionDays: 14,
  },
  /**
   * Background LLM work (generation/README.md): plans, repurposings, and later campaign plans,
   * reports' narratives, experiment summaries. One generation per invocation; the timeout holds
   * two model calls (the answer and its one repair) at the entry points' budgets
   * (config/llm.ts), and every call's deadline is this invocation's remaining time, so a
   * Lambda timeout never cuts a call. An unavailable model backs off through the message's
   * visibility (Retry-After); the last receive marks the generation failed instead of
   * dead-lettering it, so the DLQ holds only what could not even be marked.
   *
   * Crash recovery: the visibility is short (60 s) and the running worker renews it, and its
   * lease on the generation (same length), every 15 s (`heartbeat`, generation/heartbeat.ts).
   * A worker that dies (crash, Lambda timeout, lost instance) stops renewing, so its message is
   * back within a minute and the next worker claims the expired lease and resumes from the
   * checkpoint. A worker that cannot renew its lease in time stops its run (the model call is
   * aborted) before the lease expires, so one generation never runs twice at once. The 6× rule
   * does not apply: a running invocation keeps its own message hidden; the event source's
   * `maxConcurrency` keeps records from waiting throttled while their visibility runs out, and a
   * record that does come back while the lease is held is put back until the lease ends
   * (it costs a receive: `maxReceiveCount` leaves room for it).
   */
  llm: {
    name: "llm",
    handler: "packages/functions/src/queue/llm.handler",
    timeoutSeconds: 300,
    visibilityTimeoutSeconds: 60,
    heartbeat: { everySeconds: 15 },
    batchSize: 1,
    maxBatchingWindowSeconds: 0,
    maxConcurrency: 5,
    maxReceiveCount: 6,
    dlqRetentionDays: 14,
  },
  tokens: tokenKeeper.queue,
};

export const schedules: Record<ScheduleKind, ScheduleSpec> = {
  publishDispatcher: {
    name: "publishDispatcher",
    expression: "cron(* * * * ? *)",
    handler: "packages/functions/src/cron/publish-dispatcher.handler",
    timeoutSeconds: 55,
  },
  metricsRefresh: {
    name: "metricsRefresh",
    expression: "cron(0 */6 * * ? *)",
    handler: "packages/functions/src/cron/metrics-refresh.handler",
    timeoutSeconds: 120,
  },
  weeklyReport: {
    name: "weeklyReport",
    expression: "cron(0 9 ? * MON *)",
    handler: "packages/functions/src/cron/weekly-report.handler",
    timeoutSeconds: 120,
  },
  competitorsRefresh: {
    name: "competitorsRefresh",
    expression: "cron(0 0 * * ? *)",
    handler: "packages/functions/src/cron/competitors-refresh.handler",
    timeoutSeconds: 120,
  },
  tokenKeeper: tokenKeeper.schedule,
};

/** The API Lambda (Hono): API and agent. */
export const api = {
  handler: "packages/functions/src/http/lambda.handler",
  timeoutSeconds: 29,
  /**
   * API Gateway's stage-level throttle (all routes, all callers together): the last line in
   * front of the Lambda, for floods that never authenticate (the per-key and per-workspace
   * limits need a valid key). Steady requests/s and burst (token bucket). Answers 429.
   */
  throttle: { rate: 200, burst: 400 },
} as const;

/** Physical resource names, shared by stacks and the local runtime. */
export const resourceName = (stage: string, name: string) => `${stage}-studio-${name}`;
export const dlqName = (stage: string, queue: QueueKind) => resourceName(stage, `${queue}-dlq`);
export const queueName = (stage: string, queue: QueueKind) => resourceName(stage, queue);
