import { Entity } from "electrodb";

/** One edit of a post's caption: original kept, diff stored, ordered by time. */
export const CaptionEditEntity = new Entity({
  model: { entity: "captionEdit", version: "1", service: "studio" },
  attributes: {
    postId: { type: "string", required: true, readOnly: true },
    workspaceId: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
    editedAt: { type: "string", required: true, readOnly: true },
    /** The post version the edit was made against (concurrent edits conflict on it). */
    baseVersion: { type: "number", required: true },
    before: { type: "string", required: true },
    after: { type: "string", required: true },
    patch: { type: "string" },
  },
  indexes: {
    byPost: {
      pk: { field: "pk", casing: "none", composite: ["postId"] },
      sk: { field: "sk", casing: "none", composite: ["editedAt", "id"] },
    },
  },
});
