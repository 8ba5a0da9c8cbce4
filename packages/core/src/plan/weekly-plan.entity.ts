import { Entity } from "electrodb";

/** A weekly content plan proposed by the planner; its posts become drafts. */
export const WeeklyPlanEntity = new Entity({
  model: { entity: "weeklyPlan", version: "1", service: "studio" },
  attributes: {
    workspaceId: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
    weekStart: { type: "string", required: true },
    status: { type: ["proposed", "drafted", "failed"] as const, required: true },
    proposals: { type: "any", required: true },
    draftPostIds: { type: "list", items: { type: "string" } },
    createdAt: { type: "string", required: true, readOnly: true },
  },
  indexes: {
    byWorkspace: {
      pk: { field: "pk", casing: "none", composite: ["workspaceId"] },
      sk: { field: "sk", casing: "none", composite: ["id"] },
    },
  },
});
