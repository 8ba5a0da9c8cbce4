import { Entity } from "electrodb";

/** One run of a scheduled job: what it found, sent and how long it took. Expires after 30 days. */
export const JobRunEntity = new Entity({
  model: { entity: "jobRun", version: "1", service: "studio" },
  attributes: {
    job: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
    startedAt: { type: "string", required: true, readOnly: true },
    finishedAt: { type: "string" },
    outcome: { type: ["ok", "partial", "error"] as const, required: true },
    stats: { type: "any" },
    error: { type: "string" },
    ttl: { type: "number" },
  },
  indexes: {
    byJob: {
      pk: { field: "pk", casing: "none", composite: ["job"] },
      sk: { field: "sk", casing: "none", composite: ["startedAt", "id"] },
    },
  },
});
