import { Entity } from "electrodb";
import { PLATFORMS } from "../platforms";

export const COMPETITOR_STATUSES = [
  "pending",
  "active",
  "invalid_handle",
  "needs_account",
  "unsupported",
  "error",
] as const;
export type CompetitorStatus = (typeof COMPETITOR_STATUSES)[number];

/** A competitor account a workspace tracks. TikTok has no official API for it: `unsupported`. */
export const CompetitorEntity = new Entity({
  model: { entity: "competitor", version: "1", service: "studio" },
  attributes: {
    id: { type: "string", required: true, readOnly: true },
    workspaceId: { type: "string", required: true, readOnly: true },
    platform: { type: PLATFORMS, required: true },
    handle: { type: "string", required: true },
    status: { type: COMPETITOR_STATUSES, required: true },
    statusReason: { type: "string" },
    lastRefreshedAt: { type: "string" },
    createdAt: { type: "string", required: true, readOnly: true },
  },
  indexes: {
    byWorkspace: {
      pk: { field: "pk", casing: "none", composite: ["workspaceId"] },
      sk: { field: "sk", casing: "none", composite: ["id"] },
    },
    byId: {
      index: "gsi1",
      pk: { field: "gsi1pk", casing: "none", composite: ["id"] },
      sk: { field: "gsi1sk", casing: "none", composite: [] },
    },
  },
});

/**
 * A snapshot of a competitor's public numbers, one per refresh run: keyed by the run's `slot`
 * (the start of the day for the daily schedule, start instant + run id for a run fired by
 * hand: job-run/slot.ts), written with a conditional create, so a redelivered or replayed
 * message of the same run writes nothing and counts nothing twice. Slots sort by time.
 */
export const CompetitorMetricsEntity = new Entity({
  model: { entity: "competitorMetrics", version: "1", service: "studio" },
  attributes: {
    competitorId: { type: "string", required: true, readOnly: true },
    workspaceId: { type: "string", required: true, readOnly: true },
    slot: { type: "string", required: true, readOnly: true },
    /** The run that took it. */
    runId: { type: "string", required: true, readOnly: true },
    capturedAt: { type: "string", required: true, readOnly: true },
    values: { type: "any", required: true },
    ttl: { type: "number" },
  },
  indexes: {
    byCompetitor: {
      pk: { field: "pk", casing: "none", composite: ["competitorId"] },
      sk: { field: "sk", casing: "none", composite: ["slot"] },
    },
  },
});
