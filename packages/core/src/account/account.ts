import { createHash } from "node:crypto";
import type { EntityItem } from "electrodb";
import { decryptSecret, encryptSecret } from "../crypto/secrets";
import { isConditionalFailure } from "../db/conditional";
import { db } from "../db/service";
import { NotFoundError } from "../errors";
import type { Platform } from "../platforms";
import { withCursor } from "../util/cursor";
import { nowIso } from "../util/time";
import type { AccountEntity, AccountStatus } from "./account.entity";
import { keeperKeys, type TokenWarning } from "./keeper-plan";

export type AccountItem = EntityItem<typeof AccountEntity>;

/** An account as the API shows it: never a token, encrypted or not. */
export interface AccountView {
  id: string;
  platform: Platform;
  externalAccountId: string;
  handle: string;
  status: AccountStatus;
  statusReason: string | null;
  expiresAt: string | null;
  refreshExpiresAt: string | null;
  /** What the user should do before it turns into failed posts (e.g. reconnect before TikTok's authorization ends). */
  warnings: TokenWarning[];
  createdAt: string;
  updatedAt: string;
}

export interface ConnectInput {
  platform: Platform;
  externalAccountId: string;
  handle: string;
  accessToken: string;
  refreshToken?: string;
  expiresAt?: string;
  refreshExpiresAt?: string;
}

/**
 * Connects a platform account to a workspace, or reconnects it: one platform account is
 * connected once per workspace (found through `byExternal`), so a second connect replaces its
 * tokens, bumps `tokenVersion` (an in-flight refresh of the old tokens then loses its
 * conditional write) and makes it `active` again. Tokens are encrypted with the account id as
 * additional data; they are never returned.
 *
 * The id is derived from (workspace, platform, external id), so two racing first connects
 * collide on the same item instead of creating a duplicate: the loser updates.
 *
 * @example
 * const account = await Account.connect(workspaceId, { platform: "instagram", externalAccountId: "1784…",
 *   handle: "acme", accessToken });
 */
export async function connect(workspaceId: string, input: ConnectInput, now = Date.now()): Promise<AccountView> {
  const existing = await findByExternal(workspaceId, input.platform, input.externalAccountId);
  if (existing) return toView(await reconnect(existing.id, input, now));
  const id = accountId(workspaceId, input.platform, input.externalAccountId);
  const at = nowIso(now);
  const item: AccountItem = {
    id,
    workspaceId,
    platform: input.platform,
    externalAccountId: input.externalAccountId,
    handle: input.handle,
    status: "active",
    accessTokenEnc: encryptSecret(input.accessToken, id),
    refreshTokenEnc: input.refreshToken ? encryptSecret(input.refreshToken, id) : undefined,
    expiresAt: input.expiresAt,
    refreshExpiresAt: input.refreshExpiresAt,
    tokenIssuedAt: at,
    tokenVersion: 0,
    createdAt: at,
    updatedAt: at,
  };
  const keys = keeperKeys(item, now);
  if ("set" in keys) Object.assign(item, keys.set);
  try {
    await db().entities.account.create(item).go({ response: "none" });
    return toView(item);
  } catch (err) {
    if (!isConditionalFailure(err)) throw err;
    return toView(await reconnect(id, input, now));
  }
}

async function reconnect(id: string, input: ConnectInput, now: number): Promise<AccountItem> {
  const at = nowIso(now);
  const remove: (
    | "expiresAt"
    | "refreshExpiresAt"
    | "statusReason"
    | "breakerUntil"
    | "tokenWarning"
    | "tokenCheckedAt"
  )[] = ["statusReason", "breakerUntil", "tokenWarning", "tokenCheckedAt"];
  if (!input.expiresAt) remove.push("expiresAt");
  if (!input.refreshExpiresAt && input.refreshToken) remove.push("refreshExpiresAt");
  const { data } = await db()
    .entities.account.patch({ id })
    .set({
      handle: input.handle,
      status: "active",
      accessTokenEnc: encryptSecret(input.accessToken, id),
      // A reconnect without a refresh token keeps the stored one: never overwrite it with nothing.
      ...(input.refreshToken ? { refreshTokenEnc: encryptSecret(input.refreshToken, id) } : {}),
      ...(input.expiresAt ? { expiresAt: input.expiresAt } : {}),
      ...(input.refreshExpiresAt ? { refreshExpiresAt: input.refreshExpiresAt } : {}),
      tokenIssuedAt: at,
      updatedAt: at,
    })
    .add({ tokenVersion: 1 })
    .remove(remove)
    .go({ response: "all_new" });
  return scheduleKeeper(data as AccountItem, now);
}

/**
 * Puts the account in the token keeper's index at its next look (or takes it out), for the
 * tokens it holds now: conditional on their version, so it never files a newer token's account
 * under an older token's schedule.
 */
async function scheduleKeeper(account: AccountItem, now: number): Promise<AccountItem> {
  const keys = keeperKeys(account, now);
  try {
    const patch = db().entities.account.patch({ id: account.id });
    const { data } = await ("set" in keys ? patch.set(keys.set) : patch.remove(keys.remove))
      .where((a, op) => op.eq(a.tokenVersion, account.tokenVersion))
      .go({ response: "all_new" });
    return data as AccountItem;
  } catch (err) {
    if (!isConditionalFailure(err)) throw err;
    return account; // newer tokens were saved meanwhile, with their own schedule
  }
}

async function findByExternal(
  workspaceId: string,
  platform: Platform,
  externalAccountId: string,
): Promise<AccountItem | undefined> {
  const { data } = await db().entities.account.query.byExternal({ platform, externalAccountId, workspaceId }).go();
  return data.find((a) => a.workspaceId === workspaceId);
}

/** Stable id of a workspace's connection to one platform account. */
function accountId(workspaceId: string, platform: Platform, externalAccountId: string): string {
  const digest = createHash("sha256").update(`${workspaceId}\n${platform}\n${externalAccountId}`).digest("base64url");
  return `acct_${digest.slice(0, 22)}`;
}

/**
 * The workspace's accounts, a page at a time (ordered by platform, then id).
 *
 * @example
 * const { items, nextCursor } = await Account.list(workspaceId, { limit: 50 });
 */
export async function list(
  workspaceId: string,
  opts: { limit?: number; cursor?: string | null } = {},
): Promise<{ items: AccountView[]; nextCursor: string | null }> {
  const { data, cursor } = await withCursor(opts.cursor, () =>
    db()
      .entities.account.query.byWorkspace({ workspaceId })
      .go({ limit: opts.limit ?? 50, pages: 1, cursor: opts.cursor ?? null }),
  );
  return { items: data.map(toView), nextCursor: cursor ?? null };
}

/** The stored account if it belongs to the workspace, else undefined (never reveal which). */
export async function find(workspaceId: string, id: string): Promise<AccountItem | undefined> {
  const { data } = await db().entities.account.get({ id }).go();
  return data && data.workspaceId === workspaceId ? data : undefined;
}

/** The account, or 404 `account.not_found` when absent or another workspace's. */
export async function get(workspaceId: string, id: string): Promise<AccountView> {
  const account = await find(workspaceId, id);
  if (!account) throw new NotFoundError("account.not_found", "Account not found.");
  return toView(account);
}

/** Decrypted credentials for the publish engine. Never log the result. */
export interface AccountCredentialsWithMeta {
  account: AccountItem;
  externalAccountId: string;
  accessToken: string;
  refreshToken?: string;
  tokenVersion: number;
}

/**
 * Loads an account and decrypts its tokens (for the publish engine and token refresh).
 * Throws 404 `account.not_found` when it does not exist.
 *
 * @example
 * const { accessToken, externalAccountId } = await Account.loadCredentials(post.accountId);
 */
export async function loadCredentials(accountId: string): Promise<AccountCredentialsWithMeta> {
  const { data } = await db().entities.account.get({ id: accountId }).go();
  if (!data) throw new NotFoundError("account.not_found", "Account not found.");
  return {
    account: data,
    externalAccountId: data.externalAccountId,
    accessToken: decryptSecret(data.accessTokenEnc, data.id),
    refreshToken: data.refreshTokenEnc ? decryptSecret(data.refreshTokenEnc, data.id) : undefined,
    tokenVersion: data.tokenVersion,
  };
}

export function toView(a: AccountItem): AccountView {
  return {
    id: a.id,
    platform: a.platform,
    externalAccountId: a.externalAccountId,
    handle: a.handle,
    status: a.status,
    statusReason: a.statusReason ?? null,
    expiresAt: a.expiresAt ?? null,
    refreshExpiresAt: a.refreshExpiresAt ?? null,
    warnings: a.tokenWarning ? [a.tokenWarning] : [],
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}
