import type { EntityItem } from "electrodb";
import { isConditionalFailure } from "../db/conditional";
import { db } from "../db/service";
import { ConflictError, NotFoundError } from "../errors";
import { withCursor } from "../util/cursor";
import { nowIso } from "../util/time";
import { type CreatedApiKey, newKeyItem } from "./api-key";
import type { ApiKeyEntity, Role } from "./api-key.entity";
import { keyCache } from "./key-cache";

type ApiKeyItem = EntityItem<typeof ApiKeyEntity>;

/** A key as listed: never the key, never its hash. */
export interface ApiKeyView {
  id: string;
  name: string;
  role: Role;
  /** The key's first characters, to recognise it. */
  prefix: string;
  /** `expiring`: rotated, still accepted until `revokedAt`. */
  status: "active" | "expiring" | "revoked";
  createdAt: string;
  revokedAt: string | null;
  replacedBy: string | null;
}

/** Default and longest grace period of a rotated key. */
export const DEFAULT_GRACE_SECONDS = 24 * 3600;
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

/**
 * The workspace's keys, oldest id first (`gsi1` byWorkspace).
 *
 * @example
 * const { items, nextCursor } = await KeyLifecycle.list(workspaceId, { limit: 50 });
 */
export async function list(
  workspaceId: string,
  opts: { limit?: number; cursor?: string | null } = {},
  now = Date.now(),
): Promise<{ items: ApiKeyView[]; nextCursor: string | null }> {
  const { data, cursor } = await withCursor(opts.cursor, () =>
    db()
      .entities.apiKey.query.byWorkspace({ workspaceId })
      .go({ limit: opts.limit ?? 50, pages: 1, cursor: opts.cursor ?? null }),
  );
  return { items: data.map((k) => toView(k, now)), nextCursor: cursor ?? null };
}

/**
 * Revokes a key now (idempotent: a revoked key stays revoked; a rotated key still in its grace
 * period stops now). This instance forgets it at once; others within the key cache's TTL.
 *
 * @example
 * const view = await KeyLifecycle.revoke(workspaceId, "key_…"); // view.status === "revoked"
 */
export async function revoke(workspaceId: string, id: string, now = Date.now()): Promise<ApiKeyView> {
  const key = await load(workspaceId, id);
  const at = nowIso(now);
  keyCache.delete(key.keyHash);
  try {
    // Only if not already revoked: an earlier revocation keeps its instant.
    const { data } = await db()
      .entities.apiKey.patch({ keyHash: key.keyHash })
      .set({ revokedAt: at })
      .where((a, op) => `${op.notExists(a.revokedAt)} OR ${op.gt(a.revokedAt, at)}`)
      .go({ response: "all_new" });
    return toView(data as ApiKeyItem, now);
  } catch (err) {
    if (!isConditionalFailure(err)) throw err;
    return toView(await load(workspaceId, id), now);
  }
}

/**
 * Rotates a key: a new key with the same name and role, shown once, and the old one accepted
 * for `graceSeconds` more (0 = revoked now), in one transaction. Only an active key can be
 * rotated (409 `api_key.revoked` otherwise), so two rotations of one key cannot both succeed.
 *
 * @example
 * const { apiKey, replaces } = await KeyLifecycle.rotate(ws, "key_…", { graceSeconds: 3600 });
 */
export async function rotate(
  workspaceId: string,
  id: string,
  opts: { graceSeconds?: number } = {},
  now = Date.now(),
): Promise<CreatedApiKey & { replaces: { id: string; revokedAt: string } }> {
  const old = await load(workspaceId, id);
  if (old.revokedAt) throw revokedConflict(old, now);
  const grace = Math.min(MAX_GRACE_SECONDS, Math.max(0, opts.graceSeconds ?? DEFAULT_GRACE_SECONDS));
  const until = nowIso(now + grace * 1000);
  const next = newKeyItem(workspaceId, old.name, old.role, now);
  const result = await db()
    .transaction.write(({ apiKey }) => [
      apiKey.create(next.item).commit(),
      apiKey
        .patch({ keyHash: old.keyHash })
        .set({ revokedAt: until, replacedBy: next.item.id })
        .where((a, op) => op.notExists(a.revokedAt))
        .commit(),
    ])
    .go();
  keyCache.delete(old.keyHash);
  if (result.canceled) throw revokedConflict(await load(workspaceId, id), now);
  const { item } = next;
  return {
    id: item.id,
    apiKey: next.apiKey,
    name: item.name,
    role: item.role,
    prefix: item.prefix,
    createdAt: item.createdAt,
    replaces: { id: old.id, revokedAt: until },
  };
}

async function load(workspaceId: string, id: string): Promise<ApiKeyItem> {
  const { data } = await db().entities.apiKey.query.byWorkspace({ workspaceId, id }).go({ limit: 1, pages: 1 });
  const key = data[0];
  if (!key || key.id !== id) throw new NotFoundError("api_key.not_found", "API key not found.");
  return key;
}

function revokedConflict(key: ApiKeyItem, now: number): ConflictError {
  const view = toView(key, now);
  return new ConflictError("api_key.revoked", `This key is ${view.status} and cannot be rotated.`, view);
}

export function toView(k: ApiKeyItem, now = Date.now()): ApiKeyView {
  const revoked = k.revokedAt ? Date.parse(k.revokedAt) <= now : false;
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    prefix: k.prefix,
    status: !k.revokedAt ? "active" : revoked ? "revoked" : "expiring",
    createdAt: k.createdAt,
    revokedAt: k.revokedAt ?? null,
    replacedBy: k.replacedBy ?? null,
  };
}
