import type { Platform } from "../platforms";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * When the token keeper (account/keeper.ts) acts on an account, per platform. Facts behind the
 * numbers: ../shared/platforms.md. The keeper runs every 15 minutes (config/jobs.ts).
 */
export const tokenPolicy = {
  /**
   * Refresh an access token once it expires within this long. Instagram's 60-day token: 10 days
   * ahead leaves days of keeper runs for a platform outage. TikTok's access token (24 h, or 2 h
   * in newer docs): 45 minutes is three keeper runs ahead; the publish worker still refreshes
   * in the last 10 minutes on its own. Facebook page tokens cannot be refreshed.
   */
  refreshAheadMs: { instagram: 10 * DAY, tiktok: 45 * MINUTE, facebook: 0 } satisfies Record<Platform, number>,
  /** Instagram refuses to refresh a token younger than 24 h. */
  instagramMinAgeMs: DAY,
  /** Lifetime of an Instagram long-lived token: a token expiring in less than this is older than the difference. */
  instagramLifetimeMs: 60 * DAY,
  /**
   * An end the keeper cannot push back by refreshing (TikTok's refresh token, a Facebook token
   * with an expiry) gets a warning on the account this long ahead.
   */
  warnAheadMs: 14 * DAY,
  /**
   * Tokens without an expiry (Facebook pages; an Instagram token connected without one) are
   * checked with one cheap read this often: a revoked token is found, and the account marked,
   * before a post falls due rather than when it does.
   */
  verifyEveryMs: 12 * HOUR,
  /** After sending an account to the queue, the schedule sends it again only after this long. */
  resendAfterMs: 20 * MINUTE,
  /** The keeper never plans its next look at an account sooner than this after acting on it. */
  minGapMs: 5 * MINUTE,
} as const;

export type TokenPolicy = typeof tokenPolicy;
