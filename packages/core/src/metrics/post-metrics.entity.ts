import { Entity } from "electrodb";

/**
 * One snapshot of a post's metrics, written by one refresh run. Keyed by the run's `slot`
 * (metrics/fanout.ts: the 6-hour window of a scheduled run, or the instant and id of a run
 * fired by hand), and written with a conditional create: a redelivered or replayed message
 * finds it and writes nothing. A metric the platform did not report is absent, never 0:
 * insights lag up to 48 h and "no data yet" is a normal state.
 */
export const PostMetricsEntity = new Entity({
  model: { entity: "postMetrics", version: "2", service: "studio" },
  attributes: {
    postId: { type: "string", required: true, readOnly: true },
    slot: { type: "string", required: true, readOnly: true },
    workspaceId: { type: "string", required: true, readOnly: true },
    accountId: { type: "string", required: true },
    platform: { type: "string", required: true },
    capturedAt: { type: "string", required: true, readOnly: true },
    runId: { type: "string", required: true },
    /** Studio's metric names (config/metrics.ts) → value; only what the platform reported. */
    values: { type: "any", required: true },
    ttl: { type: "number" },
  },
  indexes: {
    /** Snapshots of a post, oldest first (slots sort by time). */
    byPost: {
      pk: { field: "pk", casing: "none", composite: ["postId"] },
      sk: { field: "sk", casing: "none", composite: ["slot"] },
    },
    /** A workspace's snapshots in a time range (weekly summary, planner input). */
    byWorkspace: {
      index: "gsi1",
      pk: { field: "gsi1pk", casing: "none", composite: ["workspaceId"] },
      sk: { field: "gsi1sk", casing: "none", composite: ["capturedAt", "postId"] },
    },
  },
});

/**
 * The daily roll-up of one account: one item per day (in the workspace's time zone) on which
 * the account published, holding the latest values of each post published that day
 * (`posts: { [postId]: { values, capturedAt } }`). The refresh sets a post's entry with each
 * new snapshot (idempotent: the same values again change nothing), so an account summary over N
 * days reads at most N items, never the snapshots. Days are `YYYY-MM-DD`.
 */
export const AccountMetricsDayEntity = new Entity({
  model: { entity: "accountMetricsDay", version: "1", service: "studio" },
  attributes: {
    accountId: { type: "string", required: true, readOnly: true },
    date: { type: "string", required: true, readOnly: true },
    workspaceId: { type: "string", required: true, readOnly: true },
    platform: { type: "string", required: true },
    posts: { type: "any", required: true },
    updatedAt: { type: "string", required: true },
  },
  indexes: {
    byAccount: {
      pk: { field: "pk", casing: "none", composite: ["accountId"] },
      sk: { field: "sk", casing: "none", composite: ["date"] },
    },
  },
});
