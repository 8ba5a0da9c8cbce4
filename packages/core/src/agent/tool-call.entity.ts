import { Entity } from "electrodb";

/** Every tool call the agent made: arguments, outcome, duration. Expires after 90 days. */
export const ToolCallEntity = new Entity({
  model: { entity: "toolCall", version: "1", service: "studio" },
  attributes: {
    workspaceId: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
    at: { type: "string", required: true, readOnly: true },
    conversationId: { type: "string" },
    tool: { type: "string", required: true },
    args: { type: "any" },
    outcome: { type: ["ok", "error"] as const, required: true },
    result: { type: "any" },
    errorCode: { type: "string" },
    durationMs: { type: "number" },
    ttl: { type: "number" },
  },
  indexes: {
    byWorkspace: {
      pk: { field: "pk", casing: "none", composite: ["workspaceId"] },
      sk: { field: "sk", casing: "none", composite: ["at", "id"] },
    },
  },
});
