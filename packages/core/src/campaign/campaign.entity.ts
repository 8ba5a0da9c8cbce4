import { Entity } from "electrodb";

/**
 * A campaign: a range of local dates (in the workspace's zone) that plans and posts belong to.
 * `planIds` lists every plan run for it (generations of the `campaignPlan` feature): a plan may
 * only create drafts while its id is listed and the campaign is `active` (a condition in the
 * same transaction as each draft), and deleting a campaign first marks it `deleting`, then
 * deletes the drafts of every listed plan, then the campaign: no orphan drafts.
 */
export const CampaignEntity = new Entity({
  model: { entity: "campaign", version: "1", service: "studio" },
  attributes: {
    workspaceId: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
    name: { type: "string", required: true },
    startsOn: { type: "string", required: true },
    endsOn: { type: "string", required: true },
    goal: { type: "string" },
    /** Platform names (see platforms.ts); empty: every connected platform. */
    platforms: { type: "list", items: { type: "string" } },
    status: { type: ["active", "deleting"] as const, required: true, default: "active" },
    planIds: { type: "list", items: { type: "string" } },
    version: { type: "number", required: true, default: 1 },
    createdAt: { type: "string", required: true, readOnly: true },
    updatedAt: { type: "string" },
  },
  indexes: {
    byWorkspace: {
      pk: { field: "pk", casing: "none", composite: ["workspaceId"] },
      sk: { field: "sk", casing: "none", composite: ["id"] },
    },
  },
});
