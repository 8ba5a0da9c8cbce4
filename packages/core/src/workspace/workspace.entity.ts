import { Entity } from "electrodb";

/** A brand's workspace: its profile, preferences and IANA time zone. */
export const WorkspaceEntity = new Entity({
  model: { entity: "workspace", version: "1", service: "studio" },
  attributes: {
    id: { type: "string", required: true, readOnly: true },
    name: { type: "string", required: true },
    /** IANA zone (e.g. "Europe/Paris"); instants are stored in UTC, shown in this zone. */
    timezone: { type: "string", required: true },
    brandProfile: { type: "any" },
    preferences: { type: "any" },
    /**
     * How long past a post's due time retryable failures keep being retried before the post
     * fails with `post.retries_exhausted` (default: config/publishing.ts, one hour).
     */
    publishRetryWindowMinutes: { type: "number" },
    /** Monthly LLM budget in USD (unset: config/llm.ts default); checked before every LLM call. */
    llmMonthlyBudgetUsd: { type: "number" },
    /** shardOf(id): spreads the fan-out index over SHARDS partitions. */
    fanoutShard: { type: "number", required: true, readOnly: true },
    createdAt: { type: "string", required: true, readOnly: true },
    updatedAt: { type: "string", required: true },
  },
  indexes: {
    byId: {
      pk: { field: "pk", casing: "none", composite: ["id"] },
      sk: { field: "sk", casing: "none", composite: [] },
    },
    /** All workspaces, for the metrics/report/competitors fan-out: query every shard. */
    all: {
      index: "gsi1",
      pk: { field: "gsi1pk", casing: "none", composite: ["fanoutShard"] },
      sk: { field: "gsi1sk", casing: "none", composite: ["id"] },
    },
  },
});
