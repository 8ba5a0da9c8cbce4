import { Entity } from "electrodb";

/**
 * One LLM call in the usage ledger: who (workspace), what (entry point, prompt version, the
 * resource it worked for), which model, tokens, cost in USD from the price table
 * (config/llm.ts), latency, outcome, and whether it was the repair attempt. Every call is
 * written, also the failed ones (a refusal or a `length` stop is billed too).
 */
export const LlmUsageEntity = new Entity({
  model: { entity: "llmUsage", version: "1", service: "studio" },
  attributes: {
    workspaceId: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
    at: { type: "string", required: true, readOnly: true },
    /** The entry point (`weeklyPlan`, `repurpose`, …): "feature" in `GET /v1/usage`. */
    feature: { type: "string", required: true },
    promptVersion: { type: "string" },
    resourceId: { type: "string" },
    model: { type: "string", required: true },
    promptTokens: { type: "number", required: true },
    completionTokens: { type: "number", required: true },
    costUsd: { type: "number", required: true, default: 0 },
    latencyMs: { type: "number", required: true, default: 0 },
    /** `ok`, `invalid_output`, `refused`, `length`, `unavailable`. */
    outcome: { type: "string", required: true },
    errorCode: { type: "string" },
    /** True for the one repair attempt (the second call of a generation). */
    repair: { type: "boolean", required: true, default: false },
    /** HTTP requests behind this call: 1, or more when the SDK retried a 429/5xx/timeout. */
    attempts: { type: "number", required: true, default: 1 },
    ttl: { type: "number" },
  },
  indexes: {
    byWorkspace: {
      pk: { field: "pk", casing: "none", composite: ["workspaceId"] },
      sk: { field: "sk", casing: "none", composite: ["at", "id"] },
    },
  },
});

/**
 * Running LLM spend of a workspace for one UTC month (`YYYY-MM`), bumped with an atomic ADD by
 * every call: the budget check before a call reads one item instead of summing the ledger.
 */
export const LlmSpendEntity = new Entity({
  model: { entity: "llmSpend", version: "1", service: "studio" },
  attributes: {
    workspaceId: { type: "string", required: true, readOnly: true },
    month: { type: "string", required: true, readOnly: true },
    costUsd: { type: "number", required: true, default: 0 },
    calls: { type: "number", required: true, default: 0 },
    ttl: { type: "number" },
  },
  indexes: {
    byWorkspace: {
      pk: { field: "pk", composite: ["workspaceId"], casing: "none" },
      sk: { field: "sk", composite: ["month"], casing: "none" },
    },
  },
});
