import { z } from "zod";

/**
 * Messages on the publish queue. Every one names the post and the version or attempt it was
 * sent for; the worker checks that against the post, so duplicates, redrives, replays and
 * stale messages (the post was moved or cancelled since) are harmless no-ops.
 */
export const PublishMessage = z.discriminatedUnion("kind", [
  /** Sent by the dispatcher or the API for a scheduled post at `version` (or by its prepare message). */
  z.object({
    kind: z.literal("publish"),
    postId: z.string().min(1),
    version: z.number().int(),
    /**
     * What a prepare message read for `version` (publish/prepare.ts, `prepare.inMessage`): the
     * media were checked, and TikTok's privacy level. The claim takes it only for that version.
     */
    prepared: z.object({ privacyLevel: z.string().min(1).max(64).optional() }).optional(),
  }),
  /**
   * Sent with the publish message, to arrive shortly before the post's time: prepare what
   * publishes nothing (an Instagram container, TikTok's creator_info) for `version`. With
   * `sendsPublish`, no publish message was sent with it: the prepare sends it, carrying what it read.
   */
  z.object({
    kind: z.literal("prepare"),
    postId: z.string().min(1),
    version: z.number().int(),
    sendsPublish: z.boolean().optional(),
  }),
  /** Re-delivery with a delay to poll a container / publish status, for attempt `attemptId`. */
  z.object({
    kind: z.literal("continue"),
    postId: z.string().min(1),
    attemptId: z.string().min(1),
    /**
     * The status quota's bookkeeping, carried instead of written (publish/poll-share.ts): how many
     * of the account's posts share it, and when this attempt checked the status in the last minute.
     */
    pollShare: z.number().int().positive().optional(),
    polls: z.array(z.number()).max(200).optional(),
  }),
  /** The lease of `attemptId` expired (a worker died), or the outcome is unknown: ask the platform. */
  z.object({ kind: z.literal("reconcile"), postId: z.string().min(1), attemptId: z.string().min(1) }),
]);
export type PublishMessage = z.infer<typeof PublishMessage>;

/**
 * Metrics refresh of one account for one run. `slot` is the run's slot (part of every snapshot's
 * key: a redelivered or replayed message writes nothing twice). `after` is the progress: the
 * sort key of the last post done, so a message re-sent after a rate limit goes on where it
 * stopped; `retry` the posts whose fetch failed and are retried (only they).
 */
export const MetricsMessage = z.object({
  kind: z.literal("metrics"),
  workspaceId: z.string().min(1),
  accountId: z.string().min(1),
  runId: z.string().min(1),
  slot: z.string().min(1),
  after: z.string().optional(),
  retry: z.array(z.string()).optional(),
  /** Re-sends of this account's work in this run (rate limits, retries): bounded. */
  hops: z.number().int().min(0).optional(),
  /** What earlier hops counted, carried so the run's part reports the whole account. */
  counts: z.record(z.number()).optional(),
  failures: z.array(z.object({ ref: z.string(), reason: z.string() })).optional(),
});
export type MetricsMessage = z.infer<typeof MetricsMessage>;

/** Weekly report of one workspace for the week starting `weekStart` (ISO date). */
export const ReportMessage = z.object({
  kind: z.literal("report"),
  workspaceId: z.string().min(1),
  weekStart: z.string().min(1),
});
export type ReportMessage = z.infer<typeof ReportMessage>;

/** Refresh of one competitor for one run. */
export const CompetitorsMessage = z.object({
  kind: z.literal("competitors"),
  workspaceId: z.string().min(1),
  competitorId: z.string().min(1),
  runId: z.string().min(1),
  /** The run's slot: the key of its snapshot (job-run/slot.ts). Absent in older messages: the run id. */
  slot: z.string().min(1).optional(),
});
export type CompetitorsMessage = z.infer<typeof CompetitorsMessage>;

/** Background LLM work (generation/): run generation `id` with the generator named `feature`. */
export const GenerationMessage = z.object({
  kind: z.literal("generate"),
  feature: z.string().min(1),
  workspaceId: z.string().min(1),
  id: z.string().min(1),
});
export type GenerationMessage = z.infer<typeof GenerationMessage>;

/**
 * Token keeper: look after one account's tokens. `tokenVersion` is the version the schedule saw;
 * a message about tokens that have changed since is dropped (the new tokens have their own look).
 */
export const TokenMessage = z.object({
  kind: z.literal("token"),
  accountId: z.string().min(1),
  tokenVersion: z.number().int(),
  /** The keeper run that sent it (its part is reported through job-run.ts). */
  runId: z.string().min(1),
});
export type TokenMessage = z.infer<typeof TokenMessage>;
