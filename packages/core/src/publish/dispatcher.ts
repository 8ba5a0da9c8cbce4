import { publishTiming } from "../config/publishing";
import { db } from "../db/service";
import * as JobRun from "../job-run/job-run";
import { emitMetric } from "../ops/metrics";
import type { PostItem } from "../post/post";
import { lookaheadMs, markEnqueued, publishMessages } from "../queue/publish-enqueue";
import { sendMessages } from "../queue/sqs";
import { limiter } from "../util/limit";
import { logger } from "../util/logger";
import { allShards } from "../util/shard";
import { dueAtMs } from "./transitions";

/** Query page size per shard. */
const PAGE = 200;
/**
 * `enqueuedVersion` writes in flight at once, over all shards of a run (was up to 16 × 25). The
 * run at the start of a minute sends most of that minute's posts while its first posts are
 * being claimed: hundreds of writes at once queue every claim behind them. 32 keeps the run's
 * throughput near that of the same raw calls (bench `dispatcher`: 8 in flight cost a fifth of
 * it, which a 10,000-post minute cannot spare).
 */
export const MARK_CONCURRENCY = 32;

export interface DispatchStats {
  due: number;
  sent: number;
  resent: number;
  skipped: number;
  expiredLeases: number;
  pages: number;
  complete: boolean;
  durationMs: number;
}

/**
 * The every-minute dispatcher. Reads every shard of the due index up to now + lookahead, page
 * by page, until done or out of `budgetMs` (no fixed cap), and sends each post not yet sent
 * for its current version with `DelaySeconds` = time until due, then records it. Sends again a
 * post whose message seems lost (still scheduled, overdue and sent longer than
 * `dispatch.resendAfterMs` ago: 2 min, config/publishing.ts). Then sweeps
 * the lease index for expired leases and sends them to be reconciled. Overlapping runs are
 * harmless: the worker claims conditionally on the version.
 *
 * @example
 * const stats = await dispatch({ budgetMs: 50_000 });
 */
export async function dispatch(opts: { now?: () => number; budgetMs?: number } = {}): Promise<DispatchStats> {
  const now = opts.now ?? Date.now;
  const started = now();
  const deadline = started + (opts.budgetMs ?? 50_000);
  const stats: DispatchStats = {
    due: 0,
    sent: 0,
    resent: 0,
    skipped: 0,
    expiredLeases: 0,
    pages: 0,
    complete: true,
    durationMs: 0,
  };
  const horizon = `${new Date(started + lookaheadMs()).toISOString()}~`;
  const limit = limiter(MARK_CONCURRENCY);

  // The due reads and the lease sweep run side by side, so a large backlog of due posts never
  // starves the sweep of stuck ones.
  const eachPage = (read: Reader, handle: (posts: PostItem[]) => Promise<void>) =>
    Promise.all(allShards().map((shard) => pageThrough(shard, read, handle, () => now() > deadline, stats)));
  await Promise.all([
    eachPage(
      (shard, cursor) =>
        db().entities.post.query.due({ dueShard: shard }).lte({ dueAt: horizon }).go({ cursor, limit: PAGE }),
      (posts) => sendDue(posts, now(), stats, limit),
    ),
    eachPage(
      (shard, cursor) =>
        db()
          .entities.post.query.lease({ leaseShard: shard })
          .lt({ leaseUntil: new Date(now()).toISOString() })
          .go({ cursor, limit: PAGE }),
      async (posts) => {
        stats.expiredLeases += posts.length;
        await sendMessages(
          "publish",
          posts.map((p) => ({ body: { kind: "reconcile", postId: p.id, attemptId: p.attemptId } })),
        );
      },
    ).catch(sweepFailed),
  ]);

  stats.durationMs = now() - started;
  return stats;
}

type Reader = (shard: number, cursor: string | null) => Promise<{ data: PostItem[]; cursor: string | null }>;

/** Reads one shard page by page until it is exhausted or the run is out of budget. */
async function pageThrough(
  shard: number,
  read: Reader,
  handle: (posts: PostItem[]) => Promise<void>,
  outOfTime: () => boolean,
  stats: DispatchStats,
) {
  let cursor: string | null = null;
  do {
    if (outOfTime()) {
      stats.complete = false;
      return;
    }
    const page = await read(shard, cursor);
    stats.pages++;
    cursor = page.cursor;
    await handle(page.data);
  } while (cursor);
}

async function sendDue(posts: PostItem[], now: number, stats: DispatchStats, limit: ReturnType<typeof limiter>) {
  const toSend: PostItem[] = [];
  const resendAfterMs = publishTiming().dispatch.resendAfterMs;
  for (const p of posts) {
    stats.due++;
    const sentForThisVersion = p.enqueuedVersion === p.version;
    const overdue = dueAtMs(p) < now - resendAfterMs;
    const sentLongAgo = !p.enqueuedAt || Date.parse(p.enqueuedAt) < now - resendAfterMs;
    if (sentForThisVersion && !(overdue && sentLongAgo)) {
      stats.skipped++;
      continue;
    }
    if (sentForThisVersion) stats.resent++;
    toSend.push(p);
  }
  if (!toSend.length) return;
  // A message arrives 1–2 s early and the worker reads ahead until the post's time
  // (publishMessages); a prepare message goes with it on platforms that prepare ahead.
  await sendMessages(
    "publish",
    toSend.flatMap((p) => publishMessages(p, dueAtMs(p), now)),
  );
  stats.sent += toSend.length;
  // Recorded only after the send: a crash in between means the next run sends again. A few at
  // a time over the whole run (MARK_CONCURRENCY).
  await Promise.all(toSend.map((p) => limit(() => markEnqueued(p.id, p.version, now))));
}

/** A failed lease sweep: counted (the SweepFailures alarm) and named in the run's failure reason. */
function sweepFailed(err: unknown): never {
  emitMetric("sweepFailures", 1);
  throw new Error(`lease sweep failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** Runs the dispatcher and records it as a job run (job-run.ts); a failed run is counted (DispatcherFailures). */
export async function runDispatcher(
  opts: { now?: () => number; budgetMs?: number; trigger?: JobRun.Trigger } = {},
): Promise<DispatchStats & { runId: string }> {
  try {
    const { runId, result } = await JobRun.record("publishDispatcher", opts.trigger ?? "schedule", async () => {
      const stats = await dispatch(opts);
      if (stats.sent || stats.expiredLeases || !stats.complete) logger.info("dispatched", { ...stats });
      const { complete, durationMs, ...counts } = stats;
      return { result: stats, counts, complete };
    });
    return { ...result, runId };
  } catch (err) {
    emitMetric("dispatcherFailures", 1);
    throw err;
  }
}
