import { isConditionalFailure } from "../db/conditional";
import { db } from "../db/service";
import { logger } from "../util/logger";

/**
 * What became of a request to open the breaker: `opened`; `already` (a breaker ending at least
 * as late was open); `token_changed` (the answer was about a token the account no longer holds:
 * nothing written, the caller should try the new token); `not_written` (the table failed).
 */
export type BreakerOutcome = "opened" | "already" | "token_changed" | "not_written";

/**
 * Per-account circuit breaker: after a rate limit, no platform call for that account until
 * `breakerUntil` — the other posts of the account wait instead of hammering it and getting it
 * blocked. One conditional write:
 * - only for the token the platform answered about (`tokenVersion`, as markNeedsReconnect): a
 *   throttle answer to a token replaced since (a reconnect, which clears the breaker, or a
 *   refresh) never closes the account to its new token;
 * - the later instant wins: an earlier `until` never shortens an open breaker.
 *
 * @example
 * await openBreaker({ id: accountId, tokenVersion: creds.tokenVersion }, err.retryAfterMs, Date.now());
 */
export async function openBreaker(
  account: { id: string; tokenVersion: number },
  forMs: number,
  now: number,
): Promise<BreakerOutcome> {
  const until = new Date(now + forMs).toISOString();
  try {
    await db()
      .entities.account.patch({ id: account.id })
      .set({ breakerUntil: until })
      .where(
        (a, op) =>
          `${op.eq(a.tokenVersion, account.tokenVersion)} AND (${op.notExists(a.breakerUntil)} OR ${op.lt(a.breakerUntil, until)})`,
      )
      .go({ response: "none" });
    return "opened";
  } catch (err) {
    if (!isConditionalFailure(err)) {
      // The post's own backoff still applies.
      logger.warn("could not open the breaker", { accountId: account.id, error: String(err) });
      return "not_written";
    }
  }
  // Which condition failed: a later breaker (expected) or newer tokens (the answer is stale).
  const { data } = await db().entities.account.get({ id: account.id }).go({ consistent: true });
  if (!data || data.tokenVersion !== account.tokenVersion) {
    logger.info("a throttle answer about an older token: breaker left as it is", {
      accountId: account.id,
      tokenVersion: account.tokenVersion,
    });
    return "token_changed";
  }
  return "already";
}
