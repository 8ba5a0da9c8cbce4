import { Entity } from "electrodb";

/**
 * One change of a post's caption, written in the same transaction as the change itself (never
 * one without the other). Keyed by the post and the version the edit was made against: two
 * edits of the same version cannot both be recorded, and the history reads oldest first.
 */
export const CaptionEditEntity = new Entity({
  model: { entity: "captionEdit", version: "1", service: "studio" },
  attributes: {
    postId: { type: "string", required: true, readOnly: true },
    workspaceId: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
    editedAt: { type: "string", required: true, readOnly: true },
    /** The post version the edit was made against (concurrent edits conflict on it). */
    baseVersion: { type: "number", required: true, readOnly: true, padding: { length: 10, char: "0" } },
    /** The API key id, or `agent:<conversationId>`. */
    editedBy: { type: "string", required: true, readOnly: true },
    before: { type: "string", readOnly: true },
    after: { type: "string", readOnly: true },
    /** A unified patch (jsdiff) from before to after; absent when it was too large or too slow. */
    patch: { type: "string", readOnly: true },
    /** Why there is no patch: `too_large` or `too_slow` (before and after are still stored). */
    patchOmitted: { type: ["too_large", "too_slow"] as const, readOnly: true },
  },
  indexes: {
    byPost: {
      pk: { field: "pk", composite: ["postId"], casing: "none" },
      sk: { field: "sk", composite: ["baseVersion"], casing: "none" },
    },
  },
});
