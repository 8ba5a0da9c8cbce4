import { schedules } from "../config/jobs";
import { tokenPolicy } from "../config/tokens";
import { isConditionalFailure } from "../db/conditional";
import { db } from "../db/service";
import * as JobRun from "../job-run/job-run";
import { adapters } from "../platform";
import { PlatformError } from "../platform/errors";
import type { TokenMessage } from "../queue/messages";
import { sendMessages } from "../queue/sqs";
import { logger, redactString } from "../util/logger";
import { allShards } from "../util/shard";
import type { AccountItem } from "./account";
import { keeperAction, keeperKeys, type TokenWarning } from "./keeper-plan";
import {
  credentialsOf,
  getAccount,
  markNeedsReconnect,
  ReconnectRequiredError,
  refreshNow,
  TokenRefreshPendingError,
} from "./tokens";

/**
 * The token keeper (issue 7): refreshes every long-lived token well before it expires, checks
 * tokens that never expire, warns about ends it cannot push back, and marks an account
 * `needs_reconnect` as soon as a token is known dead — before a post of the account falls due,
 * not when it does.
 *
 *   schedule (every 15 min, config/jobs.ts `tokenKeeper`)
 *     └─ accounts with keeperAt ≤ now (sparse `keeper` index, all shards) ─▶ tokens queue, one message each
 *   tokens queue consumer
 *     └─ keepAccount: refresh | verify | warn | mark | nothing, then the account's next look
 *
 * Every write that follows from a platform's answer is conditional on the token version the
 * answer was obtained with (refreshNow, markNeedsReconnect, the writes below).
 */

const PAGE = 100;

export interface KeeperRunStats {
  due: number;
  sent: number;
  pages: number;
  complete: boolean;
  durationMs: number;
}

/**
 * The schedule's half, recorded as a job run (`tokenKeeper`, job-run.ts): sends every account
 * whose next look is due to the tokens queue, each message carrying the run, then moves the
 * account's look `resendAfterMs` ahead (conditional on the look it read), so a message that is
 * lost or ends in the DLQ is sent again later, and one in flight is not sent every run. The run
 * finishes when every account's message has reported its part.
 *
 * @example
 * const { runId } = await fanOutTokenKeeper("schedule", { budgetMs: 50_000 });
 */
export async function fanOutTokenKeeper(
  trigger: JobRun.Trigger,
  opts: { now?: () => number; budgetMs?: number } = {},
): Promise<{ runId: string; stats: KeeperRunStats }> {
  const now = opts.now ?? Date.now;
  const run = await JobRun.start(schedules.tokenKeeper.name, trigger, now());
  let stats: KeeperRunStats;
  try {
    stats = await sendDueAccounts(run, now, opts.budgetMs ?? 50_000);
  } catch (err) {
    // Whatever was sent reports its part; the run records the failure of the fan-out itself.
    const reason = err instanceof Error ? err.message : String(err);
    logger.error("token keeper run failed", { runId: run.runId, error: reason });
    await JobRun.fannedOut(run, 0, { failures: [{ ref: "tokenKeeper", reason }] }).catch(() => undefined);
    throw err;
  }
  await JobRun.fannedOut(run, stats.sent, {
    counts: { accountsDue: stats.due, accountsSent: stats.sent },
    failures: stats.complete ? [] : [{ ref: "tokenKeeper", reason: "out of time: the rest goes out next run" }],
  });
  if (stats.sent || !stats.complete) logger.info("token keeper: accounts sent", { runId: run.runId, ...stats });
  return { runId: run.runId, stats };
}

async function sendDueAccounts(run: JobRun.RunRef, now: () => number, budgetMs: number): Promise<KeeperRunStats> {
  const started = now();
  const deadline = started + budgetMs;
  const stats: KeeperRunStats = { due: 0, sent: 0, pages: 0, complete: true, durationMs: 0 };
  const horizon = new Date(started).toISOString();
  await Promise.all(
    allShards().map(async (keeperShard) => {
      let cursor: string | null = null;
      do {
        if (now() > deadline) {
          stats.complete = false;
          return;
        }
        const page: { data: AccountItem[]; cursor: string | null } = await db()
          .entities.account.query.keeper({ keeperShard })
          .lte({ keeperAt: horizon })
          .go({ cursor, limit: PAGE });
        stats.pages++;
        cursor = page.cursor;
        const due = page.data.filter((a) => a.status === "active");
        stats.due += due.length;
        if (!due.length) continue;
        await sendMessages(
          "tokens",
          due.map((a) => ({
            body: {
              kind: "token",
              accountId: a.id,
              tokenVersion: a.tokenVersion,
              runId: run.runId,
            } satisfies TokenMessage,
          })),
        );
        stats.sent += due.length;
        await Promise.all(due.map((a) => postpone(a, now() + tokenPolicy.resendAfterMs)));
      } while (cursor);
    }),
  );
  stats.durationMs = now() - started;
  return stats;
}

async function postpone(a: AccountItem, untilMs: number) {
  try {
    await db()
      .entities.account.patch({ id: a.id })
      .set({ keeperShard: a.keeperShard as number, keeperAt: new Date(untilMs).toISOString() })
      .where((x, op) => `${op.eq(x.keeperAt, a.keeperAt as string)} AND ${op.eq(x.tokenVersion, a.tokenVersion)}`)
      .go({ response: "none" });
  } catch (err) {
    // The consumer was quicker and planned the next look itself: keep its plan.
    if (!isConditionalFailure(err)) throw err;
  }
}

export type KeeperOutcome =
  | "refreshed"
  | "verified"
  | "warned"
  | "marked"
  | "rescheduled"
  | "stale"
  | "not active"
  | "refresh in progress";

/**
 * The queue's half: one account. Stale messages (tokens changed since, account gone or not
 * active) do nothing. A transient platform failure is thrown: the message comes back after its
 * visibility timeout, five times, then goes to the DLQ (the schedule sends it again later).
 *
 * @example
 * await keepAccount({ kind: "token", accountId, tokenVersion: 3 });
 */
export async function keepAccount(msg: TokenMessage, now: () => number = Date.now): Promise<KeeperOutcome> {
  let account: AccountItem;
  try {
    account = await getAccount(msg.accountId);
  } catch (err) {
    if (err instanceof ReconnectRequiredError) return "not active"; // removed
    throw err;
  }
  if (account.status !== "active") return "not active";
  if (account.tokenVersion !== msg.tokenVersion) return "stale";
  const action = keeperAction(account, now());
  const log = { accountId: account.id, platform: account.platform, action: action.kind };

  switch (action.kind) {
    case "refresh":
      try {
        await refreshNow(account, now);
        logger.info("token keeper: refreshed", log);
        return "refreshed";
      } catch (err) {
        if (err instanceof ReconnectRequiredError) return "marked";
        if (err instanceof TokenRefreshPendingError) return "refresh in progress";
        throw logged(err, log);
      }
    case "mark":
      if (!(await markNeedsReconnect(account, action.reason))) return "stale";
      return "marked";
    case "verify":
      return verify(account, now, log);
    case "warn":
      logger.warn("token keeper: warning the account", { ...log, code: action.warning.code });
      return (await plan(account, now(), { tokenWarning: action.warning })) ? "warned" : "stale";
    case "none":
      return (await plan(account, now(), {})) ? "rescheduled" : "stale";
  }
}

/** One cheap read with a token that does not expire: still good → checked; dead → marked. */
async function verify(account: AccountItem, now: () => number, log: Record<string, unknown>): Promise<KeeperOutcome> {
  const creds = credentialsOf(account);
  try {
    const api = adapters();
    if (account.platform === "facebook") await api.facebook.recentPosts(creds, 1);
    else if (account.platform === "instagram") await api.instagram.recentMedia(creds, 1);
  } catch (err) {
    if (err instanceof PlatformError && (err.kind === "reconnect" || err.kind === "auth")) {
      const reason = `${account.platform} no longer accepts the token of ${account.handle} (${redactString(err.message)}). Reconnect the account.`;
      // About the token read above: if the user reconnected meanwhile, nothing changes.
      return (await markNeedsReconnect(account, reason)) ? "marked" : "stale";
    }
    throw logged(err, log);
  }
  return (await plan(account, now(), { tokenCheckedAt: new Date(now()).toISOString() })) ? "verified" : "stale";
}

/**
 * Writes what the keeper learned (`set`) and the account's next look, conditional on the token
 * version it acted on and the account still being active. False when either changed.
 */
async function plan(
  account: AccountItem,
  now: number,
  learned: { tokenWarning?: TokenWarning; tokenCheckedAt?: string },
): Promise<boolean> {
  const keys = keeperKeys({ ...account, ...learned }, now, { acted: true });
  const sameTokens = (
    a: { tokenVersion: unknown; status: unknown },
    op: { eq: (attr: unknown, value: unknown) => string },
  ) => `${op.eq(a.tokenVersion, account.tokenVersion)} AND ${op.eq(a.status, "active")}`;
  const patch = db()
    .entities.account.patch({ id: account.id })
    .set({ ...learned, ...("set" in keys ? keys.set : {}), updatedAt: new Date(now).toISOString() });
  try {
    if ("set" in keys) await patch.where(sameTokens).go({ response: "none" });
    else await patch.remove(keys.remove).where(sameTokens).go({ response: "none" });
    return true;
  } catch (err) {
    if (isConditionalFailure(err)) return false;
    throw err;
  }
}

function logged(err: unknown, log: Record<string, unknown>) {
  const code = err instanceof PlatformError ? err.code : undefined;
  logger.warn("token keeper: will try again", {
    ...log,
    code,
    error: redactString(err instanceof Error ? err.message : String(err)),
  });
  return err;
}
