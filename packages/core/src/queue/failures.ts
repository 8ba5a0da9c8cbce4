import { db } from "../db/service";
import { redactString } from "../util/logger";
import { ttlInDays } from "../util/time";

/**
 * Records that a message failed (first and last reason, count). Best effort: a failure to
 * record never changes the message's fate.
 */
export async function recordMessageFailure(queue: string, messageId: string, reason: string): Promise<void> {
  const now = new Date().toISOString();
  const text = redactString(reason).slice(0, 500);
  try {
    await db()
      .entities.messageFailure.upsert({ messageId })
      .ifNotExists({ queue, firstReason: text, firstAt: now, ttl: ttlInDays(15) })
      .set({ lastReason: text, lastAt: now })
      .add({ failures: 1 })
      .go({ response: "none" });
  } catch {
    // best effort
  }
}

export async function messageFailures(messageIds: string[]) {
  if (!messageIds.length) return new Map<string, { firstReason: string; lastReason: string; failures: number }>();
  const { data } = await db()
    .entities.messageFailure.get(messageIds.map((messageId) => ({ messageId })))
    .go();
  return new Map(data.map((f) => [f.messageId, f]));
}
