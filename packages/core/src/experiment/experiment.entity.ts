import { Entity } from "electrodb";

/** An A/B experiment linking posts as variants. */
export const ExperimentEntity = new Entity({
  model: { entity: "experiment", version: "1", service: "studio" },
  attributes: {
    workspaceId: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
    name: { type: "string", required: true },
    hypothesis: { type: "string" },
    variantPostIds: { type: "list", items: { type: "string" }, required: true },
    status: { type: ["running", "concluded"] as const, required: true },
    summary: { type: "string" },
    createdAt: { type: "string", required: true, readOnly: true },
  },
  indexes: {
    byWorkspace: {
      pk: { field: "pk", casing: "none", composite: ["workspaceId"] },
      sk: { field: "sk", casing: "none", composite: ["id"] },
    },
  },
});
