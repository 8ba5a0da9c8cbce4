import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { EntityItem } from "electrodb";
import { decryptSecret, encryptSecret } from "../crypto/secrets";
import { isConditionalFailure } from "../db/conditional";
import { conditionalWrite } from "../db/own-write";
import { db } from "../db/service";
import { adapters } from "../platform";
import { PlatformError } from "../platform/errors";
import type { AccountCredentials, TokenSet } from "../platform/types";
import { logger, redactString } from "../util/logger";
import type { AccountEntity } from "./account.entity";
import { keeperAction, keeperKeys } from "./keeper-plan";

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

/**
 * Credentials plus the token version they belong to: every account-state write that follows
 * from a platform's answer to these credentials is conditional on that version, so an answer
 * to an old token never changes an account the user has reconnected since.
 */
export interface VersionedCredentials extends AccountCredentials {
  tokenVersion: number;
}

export function credentialsOf(account: AccountItem): VersionedCredentials {
  return {
    externalAccountId: account.externalAccountId,
    accessToken: decryptSecret(account.accessTokenEnc, account.id),
    tokenVersion: account.tokenVersion,
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
  opts: { force?: boolean; staleAccessToken?: string; now?: () => number } & RefreshBudget = {},
): Promise<{ account: AccountItem; creds: VersionedCredentials }> {
  const now = opts.now ?? Date.now;
  const account = await getAccount(accountId);
  if (account.status !== "active") throw new ReconnectRequiredError(account.id, reconnectMessage(account));
  const creds = credentialsOf(account);
  // An expired Instagram token cannot be refreshed (platforms.md): say so, without asking.
  const verdict = keeperAction(account, now());
  if (verdict.kind === "mark" && account.platform === "instagram") return markOrReread(account, verdict.reason);
  // A forced refresh that someone already did (token changed since the caller saw it) is done.
  const alreadyRotated =
    opts.force && opts.staleAccessToken !== undefined && creds.accessToken !== opts.staleAccessToken;
  if (alreadyRotated || (!opts.force && !needsRefresh(account, now()))) return { account, creds };
  if (!canRefresh(account)) {
    if (opts.force) {
      return markOrReread(account, `${account.platform} rejected the access token and it cannot be refreshed.`);
    }
    return { account, creds };
  }
  return refreshNow(account, now, opts);
}

/** The caller's time budget: the longest wait for another's refresh, and the refresh call's timeout. */
export interface RefreshBudget {
  waitMs?: number;
  timeoutMs?: () => number;
}

/**
 * Refreshes the account's tokens now, under the account's single flight: the lock, the
 * platform call, then the new tokens saved atomically with the unlock (conditional on the token
 * version read). Another holder of the lock → waits for its result. A dead token
 * (`reconnect`-kind answer) → the account is marked `needs_reconnect`, conditional on the
 * version the refresh was tried with; transient failures surface as they are (retryable).
 * Used by the publish worker (through freshCredentials) and by the token keeper.
 *
 * @example
 * const { account } = await refreshNow(await getAccount(id), Date.now);
 */
export async function refreshNow(
  account: AccountItem,
  now: () => number = Date.now,
  opts: RefreshBudget = {},
): Promise<{ account: AccountItem; creds: VersionedCredentials }> {
  const lockId = randomUUID();
  if (!(await takeLock(account, lockId, now())))
    return waitForOtherRefresh(account, now, Math.min(WAIT_FOR_OTHER_MS, opts.waitMs ?? WAIT_FOR_OTHER_MS));

  let tokens: TokenSet;
  try {
    tokens = await refreshWithPlatform(account, credentialsOf(account), opts.timeoutMs);
  } catch (err) {
    await releaseLock(account.id, lockId);
    if (err instanceof PlatformError && err.kind === "reconnect") {
      return markOrReread(
        account,
        `${account.platform} refused to refresh the token (${err.message}). Reconnect the account.`,
      );
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

/**
 * Marks the account `needs_reconnect` for a dead token and throws ReconnectRequiredError —
 * unless its tokens changed since `account` was read (a reconnect, another refresh): then the
 * new tokens are returned, to be tried.
 */
async function markOrReread(
  account: AccountItem,
  reason: string,
): Promise<{ account: AccountItem; creds: VersionedCredentials }> {
  if (await markNeedsReconnect(account, reason)) throw new ReconnectRequiredError(account.id, reason);
  const fresh = await getAccount(account.id);
  if (fresh.status !== "active") throw new ReconnectRequiredError(fresh.id, reconnectMessage(fresh));
  return { account: fresh, creds: credentialsOf(fresh) };
}

function canRefresh(account: AccountItem): boolean {
  if (account.platform === "facebook") return false; // page tokens do not refresh: reconnect
  if (account.platform === "tiktok") return Boolean(account.refreshTokenEnc);
  return true;
}

async function refreshWithPlatform(
  account: AccountItem,
  creds: AccountCredentials,
  timeoutMs?: () => number,
): Promise<TokenSet> {
  const a = adapters(timeoutMs ? { timeoutMs } : {});
  if (account.platform === "instagram") return a.instagram.refreshToken(creds.accessToken);
  if (account.platform === "tiktok") {
    return a.tiktok.refreshToken(decryptSecret(account.refreshTokenEnc as string, account.id));
  }
  throw new Error(`no token refresh for ${account.platform}`);
}

/** The account, read consistently; ReconnectRequiredError when it was removed. */
export async function getAccount(accountId: string): Promise<AccountItem> {
  const { data } = await db().entities.account.get({ id: accountId }).go({ consistent: true });
  if (!data) throw new ReconnectRequiredError(accountId, "The account was removed. Connect it again.");
  return data;
}

function reconnectMessage(account: AccountItem) {
  return account.statusReason ?? `The ${account.platform} account @${account.handle} must be reconnected.`;
}

// The lock is two attributes on the account; taking it is conditional on no live lock. A lost
// answer's retry fails against our own lock: the stored lock id (random, ours) says we hold it
// (db/own-write.ts), rather than waiting for a refresh nobody else is doing.
async function takeLock(account: AccountItem, lockId: string, now: number): Promise<boolean> {
  const outcome = await conditionalWrite({
    what: "account.refreshLock",
    write: async () => {
      await db()
        .entities.account.patch({ id: account.id })
        .set({ refreshLockId: lockId, refreshLockUntil: new Date(now + LOCK_MS).toISOString() })
        .where(
          (a, op) =>
            `(${op.notExists(a.refreshLockUntil)} OR ${op.lt(a.refreshLockUntil, new Date(now).toISOString())}) AND ${op.eq(a.tokenVersion, account.tokenVersion)}`,
        )
        .go({ response: "none" });
      return true;
    },
    readBack: () => storedAccount(account.id),
    isOurs: (a) => a.refreshLockId === lockId,
    answer: () => true,
  });
  return outcome.applied;
}

async function storedAccount(id: string): Promise<AccountItem | undefined> {
  return (await db().entities.account.get({ id }).go({ consistent: true })).data ?? undefined;
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

async function waitForOtherRefresh(seen: AccountItem, now: () => number, waitMs: number) {
  const until = now() + waitMs;
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
  // The keeper's next look follows the new tokens; a warning about the old ones is re-judged then.
  const keys = keeperKeys({ ...account, ...set, tokenWarning: undefined }, now, { acted: true });
  const remove: Array<"refreshLockId" | "refreshLockUntil" | "tokenWarning" | "keeperShard" | "keeperAt"> = [
    "refreshLockId",
    "refreshLockUntil",
    "tokenWarning",
  ];
  if ("set" in keys) Object.assign(set, keys.set);
  else remove.push(...keys.remove);
  // Conditional on the token version only (not on still holding the lock): a rotated refresh
  // token from the platform must be kept even if our lock has just expired. Retried on
  // transient failures — losing it would leave only a dead refresh token.
  // A lost answer's retry fails the version condition against this very write: the stored
  // ciphertext (a fresh IV each time, so no other write has it) proves it is ours.
  for (let attempt = 1; ; attempt++) {
    try {
      const outcome = await conditionalWrite({
        what: "account.saveTokens",
        write: async () => {
          const { data } = await db()
            .entities.account.patch({ id: account.id })
            .set(set)
            .remove(remove)
            .where((a, op) => op.eq(a.tokenVersion, account.tokenVersion))
            .go({ response: "all_new" });
          return data as AccountItem;
        },
        readBack: () => storedAccount(account.id),
        isOurs: (a) => a.accessTokenEnc === set.accessTokenEnc,
        answer: (a) => a,
      });
      if (!outcome.applied) throw outcome.error;
      return outcome.value;
    } catch (err) {
      if (isConditionalFailure(err) || attempt >= 4) throw err;
      logger.warn("saving refreshed tokens failed; retrying", { accountId: account.id, lockId, attempt });
      await sleep(100 * 2 ** attempt);
    }
  }
}

/**
 * Marks the account `needs_reconnect` because a platform answered that its token is dead, and
 * takes it out of the token keeper's index. Conditional on `tokenVersion`, the version of the
 * token the platform answered about: a reconnect (or refresh) the user's account got meanwhile
 * is never undone by an answer about the old token. Returns false when the tokens had changed
 * (nothing written: the caller should try the new ones).
 *
 * @example
 * if (!(await markNeedsReconnect({ id, tokenVersion: creds.tokenVersion }, reason))) retrySoon();
 */
export async function markNeedsReconnect(
  account: Pick<AccountItem, "id" | "tokenVersion">,
  reason: string,
): Promise<boolean> {
  try {
    await db()
      .entities.account.patch({ id: account.id })
      .set({ status: "needs_reconnect", statusReason: reason, updatedAt: new Date().toISOString() })
      .remove(["keeperShard", "keeperAt"])
      .where((a, op) => op.eq(a.tokenVersion, account.tokenVersion))
      .go({ response: "none" });
    logger.warn("account needs reconnect", { accountId: account.id, reason: redactString(reason) });
    return true;
  } catch (err) {
    if (!isConditionalFailure(err)) throw err;
    logger.info("a dead-token answer about an older token: account left as it is", {
      accountId: account.id,
      tokenVersion: account.tokenVersion,
    });
    return false;
  }
}
