import { createHash, timingSafeEqual } from "node:crypto";
import { env } from "../config/env";
import { hashApiKey, newApiKey } from "../crypto/secrets";
import { createOnce } from "../db/own-write";
import { db } from "../db/service";
import { newId } from "../util/id";
import { nowIso } from "../util/time";
import type { Role } from "./api-key.entity";
import { keyCache } from "./key-cache";

export { ROLES, type Role } from "./api-key.entity";

/** Who is calling: the operator (admin token) or a workspace API key with its role. */
export type Principal = { kind: "admin" } | { kind: "key"; keyId: string; workspaceId: string; role: Role };

/** What a creation answers: the only time the key itself is ever seen. */
export interface CreatedApiKey {
  id: string;
  apiKey: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: string;
}

/** The item to write for a new key (also used inside the workspace-creation transaction). */
export function newKeyItem(workspaceId: string, name: string, role: Role, now = Date.now()) {
  const apiKey = newApiKey();
  const item = {
    keyHash: hashApiKey(apiKey),
    id: newId("key"),
    workspaceId,
    name,
    role,
    prefix: apiKey.slice(0, 7),
    createdAt: nowIso(now),
  };
  return { apiKey, item };
}

/**
 * Creates an API key for a workspace. Only its SHA-256 is stored; the key is returned once.
 *
 * @example
 * const { id, apiKey } = await ApiKey.create(workspaceId, { name: "ci", role: "editor" });
 */
export async function create(workspaceId: string, input: { name: string; role: Role }): Promise<CreatedApiKey> {
  const { apiKey, item } = newKeyItem(workspaceId, input.name, input.role);
  // A lost answer's retry fails on our own item (keyed by the new key's hash): recognised by its id.
  await createOnce({
    what: "apiKey.create",
    write: () => db().entities.apiKey.create(item).go({ response: "none" }),
    readBack: async () =>
      (await db().entities.apiKey.get({ keyHash: item.keyHash }).go({ consistent: true })).data ?? undefined,
    isOurs: (k) => k.id === item.id && k.workspaceId === workspaceId,
    answer: () => undefined,
  });
  return { id: item.id, apiKey, name: item.name, role: item.role, prefix: item.prefix, createdAt: item.createdAt };
}

/**
 * Resolves a bearer token: the admin token (compared in constant time) or a workspace key
 * (looked up by its hash, through the in-memory cache of key-cache.ts: most requests cost no
 * read). Unknown, revoked, or past a rotation's grace period → undefined.
 *
 * @example
 * const who = await ApiKey.authenticate(token); // { kind: "key", workspaceId, role, keyId }
 */
export async function authenticate(token: string, now = Date.now()): Promise<Principal | undefined> {
  if (!token) return undefined;
  if (isAdminToken(token)) return { kind: "admin" };
  if (!token.startsWith("sk_")) return undefined;
  const hash = hashApiKey(token);
  let key = keyCache.get(hash, now);
  if (key === undefined) {
    const { data } = await db().entities.apiKey.get({ keyHash: hash }).go();
    key = data ? { id: data.id, workspaceId: data.workspaceId, role: data.role, revokedAt: data.revokedAt } : null;
    keyCache.set(hash, key, now);
  }
  if (!key || (key.revokedAt && Date.parse(key.revokedAt) <= now)) return undefined;
  return { kind: "key", keyId: key.id, workspaceId: key.workspaceId, role: key.role };
}

/** Constant-time comparison of digests, so neither length nor content leaks through timing. */
export function isAdminToken(token: string): boolean {
  const expected = env.adminToken();
  const a = createHash("sha256").update(token).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
