import type { EntityItem } from "electrodb";
import { type TokenPolicy, tokenPolicy } from "../config/tokens";
import { shardOf } from "../util/shard";
import type { AccountEntity } from "./account.entity";

type AccountItem = EntityItem<typeof AccountEntity>;

/** What the token keeper reads of an account (a stored account satisfies it). */
export type KeeperView = Pick<
  AccountItem,
  | "id"
  | "platform"
  | "status"
  | "handle"
  | "expiresAt"
  | "refreshExpiresAt"
  | "tokenIssuedAt"
  | "refreshTokenEnc"
  | "tokenCheckedAt"
  | "tokenWarning"
>;

export interface TokenWarning {
  code: string;
  message: string;
}

/** What the keeper does with an account now. */
export type KeeperAction =
  /** Refresh the access token with the platform (Instagram: the token itself; TikTok: the refresh token). */
  | { kind: "refresh" }
  /** The token cannot be refreshed and is dead or about to be: mark the account `needs_reconnect`. */
  | { kind: "mark"; reason: string }
  /** A token without an expiry: one cheap read proves it still works. */
  | { kind: "verify" }
  /** An end the keeper cannot push back is near: tell the user on the account. */
  | { kind: "warn"; warning: TokenWarning }
  | { kind: "none" };

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const at = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
const parse = (iso: string | undefined) => (iso ? Date.parse(iso) : undefined);

/**
 * Instagram refuses to refresh a token younger than 24 h. Studio knows when it stored the token
 * (`tokenIssuedAt`), but the token may be older than that: a 60-day token that expires in less
 * than 59 days is at least a day old.
 */
function instagramRefreshableFrom(a: KeeperView, exp: number, p: TokenPolicy): number {
  const byStored = (parse(a.tokenIssuedAt) ?? 0) + p.instagramMinAgeMs;
  const byExpiry = exp - p.instagramLifetimeMs + p.instagramMinAgeMs;
  return Math.min(byStored, byExpiry);
}

/**
 * What the keeper should do with the account at `now` (pure; see config/tokens.ts for the
 * margins). The order matters: a dead token is marked before anything is refreshed or warned.
 *
 * @example
 * keeperAction(account, Date.now()) // → { kind: "refresh" } for an Instagram token 1 day from expiry
 */
export function keeperAction(a: KeeperView, now: number, p: TokenPolicy = tokenPolicy): KeeperAction {
  if (a.status !== "active") return { kind: "none" };
  const exp = parse(a.expiresAt);
  const rexp = parse(a.refreshExpiresAt);
  const warned = a.tokenWarning !== undefined;

  if (a.platform === "instagram") {
    if (exp !== undefined && exp <= now) {
      return {
        kind: "mark",
        reason: `The Instagram token of @${a.handle} expired on ${at(exp)}, and Instagram cannot refresh an expired token. Reconnect the account.`,
      };
    }
    if (exp !== undefined) {
      const refreshable = instagramRefreshableFrom(a, exp, p) <= now;
      return exp - now <= p.refreshAheadMs.instagram && refreshable ? { kind: "refresh" } : { kind: "none" };
    }
    return verifyDue(a, now, p) ? { kind: "verify" } : { kind: "none" };
  }

  if (a.platform === "tiktok") {
    const refreshDead = !a.refreshTokenEnc || (rexp !== undefined && rexp <= now);
    if (exp !== undefined && exp - now <= p.refreshAheadMs.tiktok) {
      if (!refreshDead) return { kind: "refresh" };
      const why = a.refreshTokenEnc
        ? `TikTok's authorization of @${a.handle} ended on ${at(rexp as number)}`
        : `Studio holds no TikTok refresh token for @${a.handle}`;
      return {
        kind: "mark",
        reason: `${why}, so its access token (valid until ${at(exp)}) cannot be refreshed. Reconnect the account.`,
      };
    }
    if (rexp !== undefined && !warned && rexp - now <= p.warnAheadMs) {
      return {
        kind: "warn",
        warning: {
          code: "account.reconnect_soon",
          message: `TikTok's authorization of @${a.handle} ends on ${day(rexp)}. Reconnect the account before then, or its posts after that day fail.`,
        },
      };
    }
    return { kind: "none" };
  }

  // Facebook: page tokens cannot be refreshed; most never expire, but can be revoked.
  if (exp !== undefined && exp <= now) {
    return {
      kind: "mark",
      reason: `The Facebook token of ${a.handle} expired on ${at(exp)}, and Facebook page tokens cannot be refreshed. Reconnect the page.`,
    };
  }
  if (exp !== undefined && !warned && exp - now <= p.warnAheadMs) {
    return {
      kind: "warn",
      warning: {
        code: "account.reconnect_soon",
        message: `The Facebook token of ${a.handle} expires on ${day(exp)} and cannot be refreshed. Reconnect the page before then, or its posts after that day fail.`,
      },
    };
  }
  return verifyDue(a, now, p) ? { kind: "verify" } : { kind: "none" };
}

function verifyDue(a: KeeperView, now: number, p: TokenPolicy) {
  return (parse(a.tokenCheckedAt) ?? 0) + p.verifyEveryMs <= now;
}

/**
 * The earliest instant at which `keeperAction` has something to do, or undefined when never
 * (the account is not active, or its token needs nothing ever). Past instants mean "now".
 */
export function nextKeeperAt(a: KeeperView, p: TokenPolicy = tokenPolicy): number | undefined {
  if (a.status !== "active") return undefined;
  const exp = parse(a.expiresAt);
  const rexp = parse(a.refreshExpiresAt);
  const warned = a.tokenWarning !== undefined;
  const candidates: number[] = [];
  const verifyAt = () => (parse(a.tokenCheckedAt) ?? 0) + p.verifyEveryMs;

  if (a.platform === "instagram") {
    if (exp === undefined) candidates.push(verifyAt());
    else candidates.push(Math.max(exp - p.refreshAheadMs.instagram, instagramRefreshableFrom(a, exp, p)), exp);
  } else if (a.platform === "tiktok") {
    if (exp !== undefined) candidates.push(exp - p.refreshAheadMs.tiktok);
    if (rexp !== undefined && !warned) candidates.push(rexp - p.warnAheadMs);
  } else {
    if (exp !== undefined) candidates.push(exp, ...(warned ? [] : [exp - p.warnAheadMs]));
    candidates.push(verifyAt());
  }
  return candidates.length ? Math.min(...candidates) : undefined;
}

/**
 * The keeper index's keys for the account's next look (`set`), or the attributes to remove
 * (`remove`) when it needs none: the sparse index holds only accounts with something ahead.
 * After the keeper acted (`acted`), the next look is at least `minGapMs` away, so a platform
 * that hands back a short-lived token cannot make the keeper spin.
 */
export function keeperKeys(
  a: KeeperView,
  now: number,
  opts: { acted?: boolean; policy?: TokenPolicy } = {},
): { set: { keeperShard: number; keeperAt: string } } | { remove: ["keeperShard", "keeperAt"] } {
  const p = opts.policy ?? tokenPolicy;
  const next = nextKeeperAt(a, p);
  if (next === undefined) return { remove: ["keeperShard", "keeperAt"] };
  const when = opts.acted ? Math.max(next, now + p.minGapMs) : next;
  return { set: { keeperShard: shardOf(a.id), keeperAt: new Date(when).toISOString() } };
}
