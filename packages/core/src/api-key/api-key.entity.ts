import { Entity } from "electrodb";

export const ROLES = ["owner", "editor", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** A workspace API key. Only its SHA-256 hash is stored; the key is shown once at creation. */
export const ApiKeyEntity = new Entity({
  model: { entity: "apiKey", version: "1", service: "studio" },
  attributes: {
    keyHash: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
    workspaceId: { type: "string", required: true, readOnly: true },
    name: { type: "string", required: true },
    role: { type: ROLES, required: true },
    /** First characters of the key, for people to recognise it in a list. */
    prefix: { type: "string", required: true },
    /**
     * From this instant on the key no longer authenticates: now for a revocation, the end of
     * the grace period for a rotated key. Absent while the key is active.
     */
    revokedAt: { type: "string" },
    /** The key that replaced this one by a rotation. */
    replacedBy: { type: "string" },
    createdAt: { type: "string", required: true, readOnly: true },
  },
  indexes: {
    /** Authentication: the bearer's hash is the key. */
    byHash: {
      pk: { field: "pk", casing: "none", composite: ["keyHash"] },
      sk: { field: "sk", casing: "none", composite: [] },
    },
    byWorkspace: {
      index: "gsi1",
      pk: { field: "gsi1pk", casing: "none", composite: ["workspaceId"] },
      sk: { field: "gsi1sk", casing: "none", composite: ["id"] },
    },
  },
});
