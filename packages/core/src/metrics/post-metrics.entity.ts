import { Entity } from "electrodb";

/**
 * A snapshot of a post's metrics at one refresh. A metric the platform did not report is
 * absent (null), never 0: insights lag up to 48 h and "no data yet" is a normal state.
 */
export const PostMetricsEntity = new Entity({
  model: { entity: "postMetrics", version: "1", service: "studio" },
  attributes: {
    postId: { type: "string", required: true, readOnly: true },
    workspaceId: { type: "string", required: true, readOnly: true },
    accountId: { type: "string", required: true },
    platform: { type: "string", required: true },
    capturedAt: { type: "string", required: true, readOnly: true },
    /** Metric name → value; names come from configuration (they change upstream). */
    values: { type: "any", required: true },
    ttl: { type: "number" },
  },
  indexes: {
    /** Metrics of a post over time. */
    byPost: {
      pk: { field: "pk", casing: "none", composite: ["postId"] },
      sk: { field: "sk", casing: "none", composite: ["capturedAt"] },
    },
    /** A workspace's snapshots in a time range (weekly summary, planner input). */
    byWorkspace: {
      index: "gsi1",
      pk: { field: "gsi1pk", casing: "none", composite: ["workspaceId"] },
      sk: { field: "gsi1sk", casing: "none", composite: ["capturedAt", "postId"] },
    },
  },
});
