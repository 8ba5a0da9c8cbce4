import { Entity } from "electrodb";
import { PLATFORMS } from "../platforms";

export const ACCOUNT_STATUSES = ["active", "needs_reconnect", "disconnected"] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/**
 * A connected social account. Tokens are AES-256-GCM ciphertexts (crypto/secrets.ts); they are
 * never returned by the API nor logged. `tokenVersion` orders token rotations so a rotated
 * refresh token is saved atomically and never overwritten by an older or empty one.
 */
export const AccountEntity = new Entity({
  model: { entity: "account", version: "1", service: "studio" },
  attributes: {
    id: { type: "string", required: true, readOnly: true },
    workspaceId: { type: "string", required: true, readOnly: true },
    platform: { type: PLATFORMS, required: true, readOnly: true },
    externalAccountId: { type: "string", required: true },
    handle: { type: "string", required: true },
    status: { type: ACCOUNT_STATUSES, required: true },
    accessTokenEnc: { type: "string", required: true },
    refreshTokenEnc: { type: "string" },
    /** Access token expiry (ISO); absent for tokens that do not expire (Facebook pages). */
    expiresAt: { type: "string" },
    refreshExpiresAt: { type: "string" },
    /** When the current access token was issued (Instagram refuses refresh before 24 h). */
    tokenIssuedAt: { type: "string" },
    tokenVersion: { type: "number", required: true, default: 0 },
    /** Single flight of token refresh: holder and lease. */
    refreshLockId: { type: "string" },
    refreshLockUntil: { type: "string" },
    /** Per-account circuit breaker: no platform calls before this instant. */
    breakerUntil: { type: "string" },
    statusReason: { type: "string" },
    /**
     * Something the user should do before it becomes a failure (e.g. TikTok's authorization
     * ends in 10 days: reconnect). Set by the token keeper; cleared by a reconnect.
     */
    tokenWarning: {
      type: "map",
      properties: { code: { type: "string", required: true }, message: { type: "string", required: true } },
    },
    /** Last successful validity check of a token that does not expire (token keeper). */
    tokenCheckedAt: { type: "string" },
    /**
     * Sparse index keys of the token keeper: present only while the account is `active`, with
     * `keeperAt` = when the keeper should next look at it (refresh, check, warn or mark). Set
     * with every token change (account/keeper-plan.ts); `keeperShard` = shardOf(id).
     */
    keeperShard: { type: "number" },
    keeperAt: { type: "string" },
    createdAt: { type: "string", required: true, readOnly: true },
    updatedAt: { type: "string", required: true },
  },
  indexes: {
    byId: {
      pk: { field: "pk", casing: "none", composite: ["id"] },
      sk: { field: "sk", casing: "none", composite: [] },
    },
    byWorkspace: {
      index: "gsi1",
      pk: { field: "gsi1pk", casing: "none", composite: ["workspaceId"] },
      sk: { field: "gsi1sk", casing: "none", composite: ["platform", "id"] },
    },
    /** One platform account is connected once per workspace: lookup on connect. */
    byExternal: {
      index: "gsi2",
      pk: { field: "gsi2pk", casing: "none", composite: ["platform", "externalAccountId"] },
      sk: { field: "gsi2sk", casing: "none", composite: ["workspaceId"] },
    },
    /**
     * Sparse + sharded, on the table's `due` index (its own partitions, `keeperShard_N`): active
     * accounts by the instant the token keeper should next look at them. Read by the keeper's
     * schedule, all shards, `keeperAt <= now`.
     */
    keeper: {
      index: "due",
      pk: { field: "duepk", composite: ["keeperShard"], casing: "none" },
      sk: { field: "duesk", composite: ["keeperAt"], casing: "none" },
    },
  },
});
