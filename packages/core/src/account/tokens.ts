import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { EntityItem } from "electrodb";
import { decryptSecret, encryptSecret } from "../crypto/secrets";
import { isConditionalFailure } from "../db/conditional";
import { db } from "../db/service";
import { adapters } from "../platform";
import { PlatformError } from "../platform/errors";
import type { AccountCredentials, TokenSet } from "../platform/types";
import { logger } from "../util/logger";
import type { AccountEntity } from "./account.entity";

export type AccountItem = EntityItem<typeof AccountEntity>;

/** Refresh when the access token expires within this margin (TikTok tokens live 2 h). */
export const REFRESH_MARGIN_MS = 10 * 60_000;
/** How long one refresher may hold an account's refresh lock. */
const LOCK_MS = 20_000;
/** How long a second caller waits for another's refresh before giving up (retryable). */
const WAIT_FOR_OTHER_MS = 5_000;

/** The account must be reconnected by a person: only an invalid_grant-type answer says so. */
export class ReconnectRequiredError extends Error {
  readonly code = "account.needs_reconnect";
  constructor(
    readonly accountId: string,
    readonly reason: string,
  ) {
    super(reason);
    this.name = "ReconnectRequiredError";
  }
}

/** Someone else is refreshing, or the platform failed transiently: try again later. */
export class TokenRefreshPendingError extends Error {
  readonly code = "account.token_refresh_pending";
  constructor(readonly accountId: string) {
    super("The account's token is being refreshed; retrying shortly.");
    this.name = "TokenRefreshPendingError";
  }
}

export function credentialsOf(account: AccountItem): AccountCredentials {
  return {
    externalAccountId: account.externalAccountId,
    accessToken: decryptSecret(account.accessTokenEnc, account.id),
  };
}

const needsRefresh = (account: AccountItem, now: number) =>
  account.expiresAt !== undefined && Date.parse(account.expiresAt) - now < REFRESH_MARGIN_MS;

/**
 * Credentials to call the platform with. Refreshes proactively when the token expires within
 * REFRESH_MARGIN_MS, or when `force` (reactively, after the platform answered with an auth
 * error). One refresh at a time per account:
 *
 *   caller A: lock (conditional: no lock or lock expired) ─ refresh ─ save (conditional on
 *             tokenVersion, new refresh token only if non-empty) + unlock
 *   caller B: lock fails ─ waits for tokenVersion to move ─ uses A's token
 *
 * Only a `reconnect`-kind answer (invalid_grant, expired IG token) marks the account
 * `needs_reconnect`; network errors and 5xx leave it active and surface as retryable.
 *
 * @example
 * const { account, creds } = await freshCredentials(accountId);
 */
export async function freshCredentials(
  accountId: string,
  opts: { force?: boolean; staleAccessToken?: string; now?: () => number } = {},
): Promise<{ account: AccountItem; creds: AccountCredentials }> {
  const now = opts.now ?? Date.now;
  const account = await getAccount(accountId);
  if (account.status !== "active") throw new ReconnectRequiredError(account.id, reconnectMessage(account));
  const creds = credentialsOf(account);
  // A forced refresh that someone already did (token changed since the caller saw it) is done.
  const alreadyRotated =
    opts.force && opts.staleAccessToken !== undefined && creds.accessToken !== opts.staleAccessToken;
  if (alreadyRotated || (!opts.force && !needsRefresh(account, now()))) return { account, creds };
  if (!canRefresh(account)) {
    if (opts.force) {
      const reason = `${account.platform} rejected the access token and it cannot be refreshed.`;
      await markNeedsReconnect(account, reason);
      throw new ReconnectRequiredError(account.id, reason);
    }
    return { account, creds };
  }

  const lockId = randomUUID();
  if (!(await takeLock(account, lockId, now()))) return waitForOtherRefresh(account, now);

  let tokens: TokenSet;
  try {
    tokens = await refreshWithPlatform(account, creds);
  } catch (err) {
    await releaseLock(account.id, lockId);
    if (err instanceof PlatformError && err.kind === "reconnect") {
      const reason = `${account.platform} refused to refresh the token (${err.message}). Reconnect the account.`;
      await markNeedsReconnect(account, reason);
      throw new ReconnectRequiredError(account.id, reason);
    }
    throw err;
  }
  const saved = await saveTokens(account, lockId, tokens, now());
  logger.info("token refreshed", {
    accountId: account.id,
    platform: account.platform,
    tokenVersion: saved.tokenVersion,
  });
  return { account: saved, creds: credentialsOf(saved) };
}

function canRefresh(account: AccountItem): boolean {
  if (account.platform === "facebook") return false; // page tokens do not refresh: reconnect
  if (account.platform === "tiktok") return Boolean(account.refreshTokenEnc);
  return true;
}

async function refreshWithPlatform(account: AccountItem, creds: AccountCredentials): Promise<TokenSet> {
  const a = adapters();
  if (account.platform === "instagram") return a.instagram.refreshToken(creds.accessToken);
  if (account.platform === "tiktok") {
    return a.tiktok.refreshToken(decryptSecret(account.refreshTokenEnc as string, account.id));
  }
  throw new Error(`no token refresh for ${account.platform}`);
}

async function getAccount(accountId: string): Promise<AccountItem> {
  const { data } = await db().entities.account.get({ id: accountId }).go({ consistent: true });
  if (!data) throw new ReconnectRequiredError(accountId, "The account was removed. Connect it again.");
  return data;
}

function reconnectMessage(account: AccountItem) {
  return account.statusReason ?? `The ${account.platform} account @${account.handle} must be reconnected.`;
}

// The lock is two attributes on the account; taking it is conditional on no live lock.
async function takeLock(account: AccountItem, lockId: string, now: number): Promise<boolean> {
  try {
    await db()
      .entities.account.patch({ id: account.id })
      .set({ refreshLockId: lockId, refreshLockUntil: new Date(now + LOCK_MS).toISOString() })
      .where(
        (a, op) =>
          `(${op.notExists(a.refreshLockUntil)} OR ${op.lt(a.refreshLockUntil, new Date(now).toISOString())}) AND ${op.eq(a.tokenVersion, account.tokenVersion)}`,
      )
      .go({ response: "none" });
    return true;
  } catch (err) {
    if (isConditionalFailure(err)) return false;
    throw err;
  }
}

async function releaseLock(accountId: string, lockId: string) {
  try {
    await db()
      .entities.account.patch({ id: accountId })
      .remove(["refreshLockId", "refreshLockUntil"])
      .where((a, op) => op.eq(a.refreshLockId, lockId))
      .go({ response: "none" });
  } catch (err) {
    if (!isConditionalFailure(err)) throw err;
  }
}

async function waitForOtherRefresh(seen: AccountItem, now: () => number) {
  const until = now() + WAIT_FOR_OTHER_MS;
  while (now() < until) {
    await sleep(200);
    const account = await getAccount(seen.id);
    if (account.status !== "active") throw new ReconnectRequiredError(account.id, reconnectMessage(account));
    if (account.tokenVersion !== seen.tokenVersion) return { account, creds: credentialsOf(account) };
  }
  throw new TokenRefreshPendingError(seen.id);
}

/**
 * Saves a refreshed token set atomically with the unlock. A rotated refresh token replaces the
 * stored one in the same write; an absent or empty one never overwrites it.
 */
async function saveTokens(account: AccountItem, lockId: string, tokens: TokenSet, now: number): Promise<AccountItem> {
  const set: Partial<AccountItem> = {
    accessTokenEnc: encryptSecret(tokens.accessToken, account.id),
    tokenVersion: account.tokenVersion + 1,
    tokenIssuedAt: new Date(now).toISOString(),
    updatedAt: new Date(now).toISOString(),
  };
  if (tokens.refreshToken) set.refreshTokenEnc = encryptSecret(tokens.refreshToken, account.id);
  if (tokens.expiresAt) set.expiresAt = tokens.expiresAt;
  if (tokens.refreshExpiresAt) set.refreshExpiresAt = tokens.refreshExpiresAt;
  // Conditional on the token version only (not on still holding the lock): a rotated refresh
  // token from the platform must be kept even if our lock has just expired. Retried on
  // transient failures — losing it would leave only a dead refresh token.
  for (let attempt = 1; ; attempt++) {
    try {
      const { data } = await db()
        .entities.account.patch({ id: account.id })
        .set(set)
        .remove(["refreshLockId", "refreshLockUntil"])
        .where((a, op) => op.eq(a.tokenVersion, account.tokenVersion))
        .go({ response: "all_new" });
      return data as AccountItem;
    } catch (err) {
      if (isConditionalFailure(err) || attempt >= 4) throw err;
      logger.warn("saving refreshed tokens failed; retrying", { accountId: account.id, lockId, attempt });
      await sleep(100 * 2 ** attempt);
    }
  }
}

/**
 * Marks the account `needs_reconnect`. With `tokenVersion`, only if the tokens are still the
 * ones that failed: a reconnect the user made meanwhile is not undone.
 */
export async function markNeedsReconnect(account: Pick<AccountItem, "id"> & { tokenVersion?: number }, reason: string) {
  try {
    const patch = db()
      .entities.account.patch({ id: account.id })
      .set({ status: "needs_reconnect", statusReason: reason, updatedAt: new Date().toISOString() });
    const version = account.tokenVersion;
    await (version === undefined ? patch : patch.where((a, op) => op.eq(a.tokenVersion, version))).go({
      response: "none",
    });
    logger.warn("account needs reconnect", { accountId: account.id, reason });
  } catch (err) {
    if (!isConditionalFailure(err)) throw err;
  }
}
