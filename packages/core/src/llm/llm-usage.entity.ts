import { Entity } from "electrodb";

/** Token usage of one LLM call, for cost tracking per workspace and feature. */
export const LlmUsageEntity = new Entity({
  model: { entity: "llmUsage", version: "1", service: "studio" },
  attributes: {
    workspaceId: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
    at: { type: "string", required: true, readOnly: true },
    feature: { type: "string", required: true },
    model: { type: "string", required: true },
    promptTokens: { type: "number", required: true },
    completionTokens: { type: "number", required: true },
    outcome: { type: "string", required: true },
    ttl: { type: "number" },
  },
  indexes: {
    byWorkspace: {
      pk: { field: "pk", casing: "none", composite: ["workspaceId"] },
      sk: { field: "sk", casing: "none", composite: ["at", "id"] },
    },
  },
});
