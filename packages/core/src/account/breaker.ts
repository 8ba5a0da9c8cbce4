import { isConditionalFailure } from "../db/conditional";
import { db } from "../db/service";
import { logger } from "../util/logger";

/**
 * Per-account circuit breaker: after a rate limit, no platform call for that account until
 * `breakerUntil` — the other posts of the account wait instead of hammering it and getting it
 * blocked. One write, unconditional: the later instant wins only if it is later.
 */
export async function openBreaker(accountId: string, forMs: number, now: number): Promise<void> {
  const until = new Date(now + forMs).toISOString();
  try {
    await db()
      .entities.account.patch({ id: accountId })
      .set({ breakerUntil: until })
      .where((a, op) => `${op.notExists(a.breakerUntil)} OR ${op.lt(a.breakerUntil, until)}`)
      .go({ response: "none" });
  } catch (err) {
    // A later breaker is already set (expected), or the write failed: the backoff still applies.
    if (!isConditionalFailure(err)) logger.warn("could not open the breaker", { accountId, error: String(err) });
  }
}
