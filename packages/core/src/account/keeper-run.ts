import { db } from "../db/service";
import { newId } from "../util/id";
import { logger } from "../util/logger";
import { ttlInDays } from "../util/time";
import { type KeeperRunStats, sendDueAccounts } from "./keeper";

/**
 * One run of the token keeper's schedule, recorded as a job run (`tokenKeeper`) like the
 * dispatcher's: what it found and sent, or the error.
 */
export async function runTokenKeeper(opts: { now?: () => number; budgetMs?: number } = {}): Promise<KeeperRunStats> {
  const startedAt = new Date().toISOString();
  const id = newId("run");
  const record = (fields: { outcome: "ok" | "partial" | "error"; stats?: KeeperRunStats; error?: string }) =>
    db()
      .entities.jobRun.create({
        job: "tokenKeeper",
        id,
        startedAt,
        finishedAt: new Date().toISOString(),
        ttl: ttlInDays(30),
        ...fields,
      })
      .go({ response: "none" });
  try {
    const stats = await sendDueAccounts(opts);
    await record({ outcome: stats.complete ? "ok" : "partial", stats });
    if (stats.sent || !stats.complete) logger.info("token keeper: accounts sent", { ...stats });
    return stats;
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    logger.error("token keeper run failed", { error });
    await record({ outcome: "error", error }).catch(() => undefined);
    throw err;
  }
}
