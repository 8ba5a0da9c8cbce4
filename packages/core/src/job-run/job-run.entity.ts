import { Entity } from "electrodb";

/**
 * `skipped`: the run ran and did nothing on purpose, and its `note` says why (e.g. the weekly
 * report's fan-out does not exist yet) — not a success with nothing in it.
 */
export const JOB_RUN_STATUSES = ["running", "ok", "partial", "error", "skipped"] as const;
export type JobRunStatus = (typeof JOB_RUN_STATUSES)[number];

/**
 * One run of a scheduled job (job-run.ts): what it found, sent, did and failed, and how long it
 * took. A fan-out run is `running` until every message it sent has reported its part
 * (JobRunPartEntity); the last one sets `finishedAt` and the totals. Expires after 30 days.
 *
 * Items written before this layout (pk `job`, `outcome`, `stats`) are not read by it; they
 * expire by their TTL within 30 days.
 */
export const JobRunEntity = new Entity({
  model: { entity: "jobRun", version: "2", service: "studio" },
  attributes: {
    id: { type: "string", required: true, readOnly: true },
    /** The schedule's name (`publishDispatcher`, `metricsRefresh`, …). */
    job: { type: "string", required: true, readOnly: true },
    trigger: { type: ["schedule", "manual"] as const, required: true, readOnly: true },
    startedAt: { type: "string", required: true, readOnly: true },
    finishedAt: { type: "string" },
    status: { type: JOB_RUN_STATUSES, required: true },
    /** Name → number: what the run (and, once finished, its whole fan-out) counted. */
    counts: { type: "any" },
    /** `[{ ref, reason }]`, the first 50. */
    failures: { type: "any" },
    /** What the run did, in words, when its counts cannot say it (a `skipped` run says why). */
    note: { type: "string" },
    /** Messages fanned out; set once the fan-out is sent. Absent for runs without a fan-out. */
    parts: { type: "number" },
    /** Parts that reported (each once: JobRunPartEntity is the guard). */
    partsDone: { type: "number" },
    ttl: { type: "number" },
  },
  indexes: {
    byId: {
      pk: { field: "pk", composite: ["id"], casing: "none" },
      sk: { field: "sk", composite: [], casing: "none" },
    },
    /** Recent runs of a job, newest first. */
    byJob: {
      index: "gsi1",
      pk: { field: "gsi1pk", composite: ["job"], casing: "none" },
      sk: { field: "gsi1sk", composite: ["startedAt", "id"], casing: "none" },
    },
  },
});

/**
 * What one message of a fan-out run did (one account's metrics, one competitor). Written once,
 * conditionally, by the consumer when the message is done (or has failed for the last time):
 * a redelivered or replayed message finds it and counts nothing twice.
 */
export const JobRunPartEntity = new Entity({
  model: { entity: "jobRunPart", version: "1", service: "studio" },
  attributes: {
    runId: { type: "string", required: true, readOnly: true },
    key: { type: "string", required: true, readOnly: true },
    at: { type: "string", required: true },
    counts: { type: "any" },
    failures: { type: "any" },
    ttl: { type: "number" },
  },
  indexes: {
    byRun: {
      pk: { field: "pk", composite: ["runId"], casing: "none" },
      sk: { field: "sk", composite: ["key"], casing: "none" },
    },
  },
});
