import { Entity } from "electrodb";

export const GENERATION_STATUSES = ["generating", "ready", "failed"] as const;
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];

/**
 * One piece of LLM work done in the background (a weekly plan, a repurposing, later campaign
 * plans, reports, experiment summaries): the request as accepted, its status, a lease while a
 * worker runs it, what it produced (`output`, checkpointed before side effects such as drafts),
 * and the error that ended it. The `POST` that creates it answers 202 (generation/README.md).
 */
export const GenerationEntity = new Entity({
  model: { entity: "generation", version: "1", service: "studio" },
  attributes: {
    id: { type: "string", required: true, readOnly: true },
    workspaceId: { type: "string", required: true, readOnly: true },
    /** Which generator runs it (generation/registry.ts): `weeklyPlan`, `repurpose`, … */
    feature: { type: "string", required: true, readOnly: true },
    status: { type: ["generating", "ready", "failed"] as const, required: true },
    /** The request as accepted (validated), what the generator works from. */
    input: { type: "any", required: true },
    /** What the generator produced so far; final once `ready`. */
    output: { type: "any" },
    lastError: { type: "map", properties: { code: { type: "string" }, message: { type: "string" } } },
    idempotencyKey: { type: "string" },
    /** SHA-256 of the request: the same Idempotency-Key with another request is a conflict. */
    requestHash: { type: "string", required: true },
    /** Set while a worker runs it, renewed by its heartbeat; another delivery waits until it expires. */
    leaseUntil: { type: "string" },
    /** The run holding the lease (random per claim): renewals, checkpoints and the end are conditional on it. */
    leaseOwner: { type: "string" },
    /** Runs started (claims). */
    attempts: { type: "number", required: true, default: 0 },
    /** When the message was sent to the `llm` queue (unset: not yet, the POST's retry sends it). */
    queuedAt: { type: "string" },
    createdAt: { type: "string", required: true, readOnly: true },
    updatedAt: { type: "string", required: true },
    finishedAt: { type: "string" },
    version: { type: "number", required: true, default: 1 },
  },
  indexes: {
    byId: {
      pk: { field: "pk", composite: ["id"], casing: "none" },
      sk: { field: "sk", composite: [], casing: "none" },
    },
    /** A workspace's generations of one feature, newest last (`GET /v1/plans`). */
    byWorkspace: {
      index: "gsi1",
      pk: { field: "gsi1pk", composite: ["workspaceId"], casing: "none" },
      sk: { field: "gsi1sk", composite: ["feature", "createdAt", "id"], casing: "none" },
    },
  },
});
