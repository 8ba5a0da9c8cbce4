import { Entity } from "electrodb";

/** A campaign: a date range that plans and posts belong to. */
export const CampaignEntity = new Entity({
  model: { entity: "campaign", version: "1", service: "studio" },
  attributes: {
    workspaceId: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
    name: { type: "string", required: true },
    startsOn: { type: "string", required: true },
    endsOn: { type: "string", required: true },
    goal: { type: "string" },
    createdAt: { type: "string", required: true, readOnly: true },
  },
  indexes: {
    byWorkspace: {
      pk: { field: "pk", casing: "none", composite: ["workspaceId"] },
      sk: { field: "sk", casing: "none", composite: ["id"] },
    },
  },
});
