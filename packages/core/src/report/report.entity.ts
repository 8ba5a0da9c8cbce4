import { Entity } from "electrodb";

/** A weekly report (markdown from the LLM, with the metrics it was built from). One per week. */
export const ReportEntity = new Entity({
  model: { entity: "report", version: "1", service: "studio" },
  attributes: {
    workspaceId: { type: "string", required: true, readOnly: true },
    /** ISO date of the Monday the report covers, in the workspace's zone: the idempotency key. */
    weekStart: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
    status: { type: ["ready", "failed", "empty"] as const, required: true },
    markdown: { type: "string" },
    summary: { type: "any" },
    error: { type: "string" },
    createdAt: { type: "string", required: true },
  },
  indexes: {
    byWorkspace: {
      pk: { field: "pk", casing: "none", composite: ["workspaceId"] },
      sk: { field: "sk", casing: "none", composite: ["weekStart"] },
    },
  },
});
