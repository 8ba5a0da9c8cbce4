import { setTimeout as sleep } from "node:timers/promises";
import { openBreaker } from "../account/breaker";
import {
  credentialsOf,
  freshCredentials,
  markNeedsReconnect,
  ReconnectRequiredError,
  type VersionedCredentials,
} from "../account/tokens";
import { env } from "../config/env";
import { type MetricValues, metricsConfig, toStudioNames } from "../config/metrics";
import { conditionalWrite } from "../db/own-write";
import { db } from "../db/service";
import * as JobRun from "../job-run/job-run";
import { PlatformError } from "../platform/errors";
import type { AdapterOptions } from "../platform/http";
import { isHighUsage, type PlatformUsage } from "../platform/index";
import {
  facebookPostMetrics,
  instagramMediaInsights,
  isRemovedOnPlatform,
  retiredMetricIn,
  tiktokVideoQuery,
} from "../platform/insights";
import type { AccountCredentials } from "../platform/types";
import type { PostItem } from "../post/post";
import type { MetricsMessage } from "../queue/messages";
import { MAX_DELAY_SECONDS, sendMessage } from "../queue/sqs";
import { logger } from "../util/logger";
import { nowIso, ttlInDays } from "../util/time";
import { dayIn, writeRollup } from "./rollup";

/**
 * The metrics refresh of one account for one run (one message of the fan-out, metrics/fanout.ts):
 *
 * 1. the account's posts published in the last 30 days: one Query of the sparse `published`
 *    index (account, `publishedAt`), never a Scan; only live posts with a `platformPostId` not
 *    removed on the platform;
 * 2. in batches of 10: the posts that already have this run's snapshot are skipped (one
 *    BatchGet: a redelivery after a crash neither calls the platform nor writes again); the rest
 *    are fetched (Instagram media insights, Facebook post insights + counts, one TikTok video
 *    query), each snapshot is a conditional create keyed by the run's slot, and the account's
 *    daily roll-up gets the new values (one write per day touched);
 * 3. failures: a failed fetch is retried at once, only it (twice); a rate limit or throttle opens
 *    the account's breaker and re-sends the message with the progress (`after`, `retry`) and the
 *    wait the platform asked for, so the next delivery goes on where this one stopped; so does
 *    Graph usage above 75% (read from the usage headers); a token the platform rejects is
 *    refreshed once through the single-flight refresh and the batch retried; a dead token marks
 *    the account `needs_reconnect` and ends the account's part cleanly; a post the platform no
 *    longer has gets `removedOnPlatformAt` and is skipped from then on.
 * 4. the account's part of the run is reported once (job-run.ts), with counts and failures.
 */

type Counts = Record<string, number>;
type Failure = JobRun.Failure;

interface Progress {
  counts: Counts;
  failures: Failure[];
}

/** Outcome of one post's fetch. */
type Fetched =
  | { kind: "ok"; values: MetricValues }
  | { kind: "removed" }
  | { kind: "failed"; error: PlatformError | Error };

class PauseRun extends Error {
  constructor(
    readonly delayMs: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const add = (c: Counts, k: string, n = 1) => {
  c[k] = (c[k] ?? 0) + n;
};

/** Sort key of a post in the refresh order: the progress cursor. */
const position = (p: Pick<PostItem, "publishedAt" | "id">) => `${p.publishedAt}#${p.id}`;
const DONE = "~";

/**
 * Refreshes one account's metrics for one run (the metrics queue's consumer calls this).
 * `receiveCount`/`maxReceiveCount`: on the last delivery a failure still reports the part.
 *
 * @example
 * await refreshAccountMetrics(message, { receiveCount: 1, maxReceiveCount: 5 });
 */
export async function refreshAccountMetrics(
  msg: MetricsMessage,
  delivery: { receiveCount: number; maxReceiveCount: number },
  now: () => number = Date.now,
): Promise<void> {
  const progress: Progress = { counts: { ...(msg.counts ?? {}) }, failures: [...(msg.failures ?? [])] };
  const finish = async () => {
    await JobRun.completePart(msg, msg.accountId, { counts: progress.counts, failures: progress.failures });
  };
  const account = (await db().entities.account.get({ id: msg.accountId }).go()).data;
  if (!account) {
    add(progress.counts, "accountsGone");
    return finish();
  }
  if (account.status !== "active") {
    add(progress.counts, "accountsNotActive");
    progress.failures.push({ ref: account.id, reason: `The account is ${account.status}: nothing refreshed.` });
    return finish();
  }
  const breaker = account.breakerUntil ? Date.parse(account.breakerUntil) - now() : 0;
  if (breaker > 0) {
    if (breaker <= MAX_DELAY_SECONDS * 1000 && (msg.hops ?? 0) < metricsConfig.maxHops) {
      await resend(msg, progress, { after: msg.after, retry: msg.retry }, breaker, "breaker open");
      return;
    }
    add(progress.counts, "accountsBreakerOpen");
    progress.failures.push({
      ref: account.id,
      reason: `The account is rate-limited by ${account.platform} until ${account.breakerUntil}: skipped this run.`,
    });
    return finish();
  }

  const workspace = (await db().entities.workspace.get({ id: msg.workspaceId }).go()).data;
  const timeZone = workspace?.timezone ?? "UTC";
  const posts = await postsToRefresh(account.id, msg, now());
  if (!msg.after && !msg.retry) add(progress.counts, "posts", posts.length);

  let usage: PlatformUsage | undefined;
  const opts = (baseUrl: string): AdapterOptions => ({
    baseUrl,
    timeoutMs: metricsConfig.timeoutMs(),
    onUsage: ({ usage: u }) => {
      if (!usage || u.maxPercent >= usage.maxPercent) usage = u;
    },
  });
  let creds: VersionedCredentials = credentialsOf(account);
  let refreshed = false;
  const retiredMetrics = new Set<string>();
  let lastDone = msg.after;
  const leftovers: PostItem[] = [];

  try {
    for (let i = 0; i < posts.length; i += metricsConfig.batchSize) {
      const batch = posts.slice(i, i + metricsConfig.batchSize);
      const todo = await withoutSnapshot(batch, msg.slot, progress);
      let pending = todo;
      for (let attempt = 0; pending.length && attempt <= metricsConfig.inlineRetries; attempt++) {
        if (attempt) await sleep(Math.random() * 200 * 2 ** attempt);
        const askedWith = creds.tokenVersion; // account writes from these answers are about this token
        const results = await fetchBatch(account.platform, pending, creds, opts, retiredMetrics, now);
        add(progress.counts, "fetches", pending.length);
        if (attempt) add(progress.counts, "retriedFetches", pending.length);
        const failed: PostItem[] = [];
        const stored: Array<{ post: PostItem; values: MetricValues }> = [];
        let authFailed = false;
        let rateLimit: PlatformError | undefined;
        for (const post of pending) {
          const r = results.get(post.id)!;
          if (r.kind === "ok") stored.push({ post, values: r.values });
          else if (r.kind === "removed") await markRemoved(post, now(), progress);
          else {
            const e = r.error;
            if (e instanceof PlatformError && e.kind === "auth") authFailed = true;
            else if (e instanceof PlatformError && e.kind === "reconnect") {
              // Conditional on the version of the token that was refused: a reconnect (or the refresh
              // above) since then means the answer is about an old token and the account is fine.
              await markNeedsReconnect(
                { id: account.id, tokenVersion: askedWith },
                `${account.platform} rejected the token: ${e.message}`,
              );
              throw new ReconnectRequiredError(account.id, e.message);
            } else if (e instanceof PlatformError && e.kind === "rate_limited") rateLimit ??= e;
            else if (e instanceof PlatformError && e.kind === "permanent") {
              // The platform refused this read for good: say why, do not retry it.
              add(progress.counts, "failed");
              progress.failures.push({ ref: post.id, reason: e.message });
              continue;
            }
            failed.push(post);
          }
        }
        await storeSnapshots(account, msg, stored, timeZone, now(), progress);
        if (authFailed) {
          if (refreshed)
            throw new ReconnectRequiredError(account.id, `${account.platform} rejected the refreshed token.`);
          // Once per delivery, through the single-flight refresh; then the batch's failed posts again.
          const fresh = await freshCredentials(account.id, { force: true, staleAccessToken: creds.accessToken });
          creds = fresh.creds;
          refreshed = true;
          add(progress.counts, "tokenRefreshes");
          attempt--;
        }
        if (rateLimit) {
          add(progress.counts, "rateLimited");
          // Only for the token that was throttled; an answer about a replaced token pauses briefly.
          const breaker = await openBreaker(
            { id: account.id, tokenVersion: askedWith },
            rateLimit.retryAfterMs ?? 60_000,
            now(),
          );
          const wait = breaker === "token_changed" ? 1_000 : (rateLimit.retryAfterMs ?? 60_000);
          leftovers.push(...failed);
          lastDone = position(batch.at(-1)!);
          throw new PauseRun(wait, `rate limited: ${rateLimit.message}`);
        }
        pending = failed;
        const pauseFor = usagePause(usage);
        if (pauseFor !== undefined) {
          add(progress.counts, "pausedForUsage");
          leftovers.push(...pending);
          pending = [];
          lastDone = position(batch.at(-1)!);
          throw new PauseRun(pauseFor, `usage at ${usage?.maxPercent}%`);
        }
      }
      leftovers.push(...pending);
      lastDone = position(batch.at(-1)!);
    }
  } catch (err) {
    if (err instanceof PauseRun) {
      // Progress goes with the message: posts after `lastDone`, plus the failed ones (only them).
      const unfinished = posts.filter((p) => !lastDone || lastDone === DONE || position(p) > lastDone);
      const retry = [...new Set([...leftovers.map((p) => p.id), ...unfinished.map((p) => p.id)])];
      if ((msg.hops ?? 0) < metricsConfig.maxHops) {
        await resend(msg, progress, { after: DONE, retry }, err.delayMs, err.reason);
        return;
      }
      for (const id of retry) progress.failures.push({ ref: id, reason: `Not refreshed: ${err.reason}.` });
      add(progress.counts, "failed", retry.length);
      return finish();
    }
    if (err instanceof ReconnectRequiredError) {
      add(progress.counts, "accountsNeedReconnect");
      progress.failures.push({ ref: account.id, reason: `The account needs reconnecting: ${err.reason}` });
      return finish();
    }
    // Anything else (the table, the queue): the message is retried; on its last delivery the
    // part is reported with the reason so the run still finishes.
    if (delivery.receiveCount >= delivery.maxReceiveCount) {
      progress.failures.push({ ref: account.id, reason: `Refresh failed: ${(err as Error).message}` });
      await finish();
    }
    throw err;
  }

  if (leftovers.length) {
    if ((msg.hops ?? 0) < metricsConfig.maxHops) {
      const delay = Math.min(60_000, 1_000 * 2 ** (msg.hops ?? 0));
      await resend(msg, progress, { after: DONE, retry: leftovers.map((p) => p.id) }, delay, "failed fetches");
      return;
    }
    for (const p of leftovers)
      progress.failures.push({
        ref: p.id,
        reason: `${p.platform} did not answer after ${metricsConfig.maxHops} tries.`,
      });
    add(progress.counts, "failed", leftovers.length);
  }
  return finish();
}

/**
 * The account's posts to refresh in this delivery, in a stable order: those published in the
 * window, by when they went live (the sparse `published` index: a post scheduled long ago but
 * published late is in; one scheduled recently but not published is not read at all).
 */
async function postsToRefresh(accountId: string, msg: MetricsMessage, now: number): Promise<PostItem[]> {
  const since = new Date(now - metricsConfig.windowDays * 86_400_000).toISOString();
  const out: PostItem[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: PostItem[]; cursor: string | null } = await db()
      .entities.post.query.byPublished({ accountId })
      .between({ publishedAt: since }, { publishedAt: new Date(now).toISOString() })
      .where(({ status }, { eq }) => eq(status, "published"))
      .go({ cursor, limit: 200 });
    out.push(...page.data);
    cursor = page.cursor;
  } while (cursor);
  const retry = msg.retry ? new Set(msg.retry) : undefined;
  return out
    .filter(
      (p) =>
        p.platformPostId && !p.removedOnPlatformAt && (retry ? retry.has(p.id) : !msg.after || position(p) > msg.after),
    )
    .sort((a, b) => (position(a) < position(b) ? -1 : 1));
}

/** Drops the posts that already have this slot's snapshot (one BatchGet). */
async function withoutSnapshot(batch: PostItem[], slot: string, progress: Progress): Promise<PostItem[]> {
  const { data } = await db()
    .entities.postMetrics.get(batch.map((p) => ({ postId: p.id, slot })))
    .go();
  const have = new Set(data.map((d) => d.postId));
  if (have.size) add(progress.counts, "alreadyStored", have.size);
  return batch.filter((p) => !have.has(p.id));
}

async function fetchBatch(
  platform: PostItem["platform"],
  posts: PostItem[],
  creds: AccountCredentials,
  opts: (baseUrl: string) => AdapterOptions,
  retired: Set<string>,
  now: () => number,
): Promise<Map<string, Fetched>> {
  const out = new Map<string, Fetched>();
  if (platform === "tiktok") {
    await tiktokPace(creds.externalAccountId, now);
    const ids = posts.map((p) => p.platformPostId as string);
    try {
      const found = await tiktokVideoQuery(opts(env.tiktokApiUrl()), creds, ids, [...metricsConfig.tiktok.fields]);
      for (const p of posts) {
        const raw = found[p.platformPostId as string];
        out.set(
          p.id,
          raw ? { kind: "ok", values: toStudioNames(raw, metricsConfig.tiktok.names) } : { kind: "removed" },
        );
      }
    } catch (err) {
      for (const p of posts) out.set(p.id, { kind: "failed", error: err as Error });
    }
    return out;
  }
  await Promise.all(
    posts.map(async (p) => {
      out.set(p.id, await fetchGraphPost(platform, p, creds, opts, retired));
    }),
  );
  return out;
}

async function fetchGraphPost(
  platform: "instagram" | "facebook",
  post: PostItem,
  creds: AccountCredentials,
  opts: (baseUrl: string) => AdapterOptions,
  retired: Set<string>,
): Promise<Fetched> {
  const cfg = metricsConfig[platform];
  for (let i = 0; i < 3; i++) {
    const metrics = cfg.metrics.filter((m) => !retired.has(m));
    try {
      const raw =
        platform === "instagram"
          ? await instagramMediaInsights(opts(env.instagramApiUrl()), creds, post.platformPostId as string, metrics)
          : await facebookPostMetrics(opts(env.facebookApiUrl()), creds, post.platformPostId as string, metrics);
      return { kind: "ok", values: toStudioNames(raw, cfg.names) };
    } catch (err) {
      if (isRemovedOnPlatform(err)) return { kind: "removed" };
      const gone = retiredMetricIn(err, metrics);
      if (gone) {
        // One retired metric fails the whole request: drop it for this run and ask again.
        logger.warn("metric rejected by the platform: dropped; update config/metrics.ts", { platform, metric: gone });
        retired.add(gone);
        continue;
      }
      return { kind: "failed", error: err as Error };
    }
  }
  return { kind: "failed", error: new Error(`${platform} rejected every metric asked`) };
}

/** Client-side pace of TikTok video queries per account, below the documented limit. */
const tiktokLast = new Map<string, number>();
async function tiktokPace(accountKey: string, now: () => number) {
  const gap = 60_000 / metricsConfig.tiktokQueriesPerMinute;
  const last = tiktokLast.get(accountKey) ?? 0;
  const wait = last + gap - now();
  if (wait > 0) await sleep(wait);
  tiktokLast.set(accountKey, now());
}

/** The pause Graph's usage headers ask for, or undefined to go on. */
function usagePause(usage: PlatformUsage | undefined): number | undefined {
  if (!usage || !isHighUsage(usage, metricsConfig.pauseAtUsagePercent)) return undefined;
  return usage.regainAccessMs > 0 ? usage.regainAccessMs : 5 * 60_000;
}

async function storeSnapshots(
  account: { id: string; workspaceId: string; platform: string },
  msg: MetricsMessage,
  stored: Array<{ post: PostItem; values: MetricValues }>,
  timeZone: string,
  now: number,
  progress: Progress,
) {
  if (!stored.length) return;
  const capturedAt = nowIso(now);
  const fresh: typeof stored = [];
  await Promise.all(
    stored.map(async (s) => {
      // Conditional create on (post, slot): a second delivery of this run writes nothing. Our
      // own create whose answer was lost (the SDK's retry fails on it) is ours by its instant:
      // it counts, and goes into the roll-up, as stored.
      const outcome = await conditionalWrite({
        what: "postMetrics.create",
        write: () =>
          db()
            .entities.postMetrics.create({
              postId: s.post.id,
              slot: msg.slot,
              workspaceId: account.workspaceId,
              accountId: account.id,
              platform: account.platform,
              capturedAt,
              runId: msg.runId,
              values: s.values,
              ttl: ttlInDays(400, now),
            })
            .go({ response: "none" }),
        readBack: async () =>
          (await db().entities.postMetrics.get({ postId: s.post.id, slot: msg.slot }).go({ consistent: true })).data ??
          undefined,
        isOurs: (m) => m.runId === msg.runId && m.capturedAt === capturedAt,
        answer: () => undefined,
      });
      if (outcome.applied) fresh.push(s);
      else add(progress.counts, "alreadyStored");
    }),
  );
  add(progress.counts, "snapshots", fresh.length);
  await writeRollup(
    { accountId: account.id, workspaceId: account.workspaceId, platform: account.platform },
    fresh.map((s) => ({
      postId: s.post.id,
      date: dayIn(s.post.publishedAt ?? s.post.scheduledFor ?? s.post.createdAt, timeZone),
      values: s.values,
      capturedAt,
    })),
  );
}

async function markRemoved(post: PostItem, now: number, progress: Progress) {
  add(progress.counts, "removedOnPlatform");
  await db()
    .entities.post.patch({ id: post.id })
    .set({ removedOnPlatformAt: nowIso(now) })
    .where(({ removedOnPlatformAt }, { notExists }) => notExists(removedOnPlatformAt))
    .go({ response: "none" })
    .catch((err: unknown) => {
      if (!String((err as Error).message).includes("conditional request failed")) throw err;
    });
}

async function resend(
  msg: MetricsMessage,
  progress: Progress,
  at: { after?: string; retry?: string[] },
  delayMs: number,
  reason: string,
) {
  const next: MetricsMessage = {
    ...msg,
    after: at.after,
    retry: at.retry,
    hops: (msg.hops ?? 0) + 1,
    counts: progress.counts,
    failures: progress.failures.slice(0, 50),
  };
  logger.info("metrics refresh paused: re-sent with its progress", {
    accountId: msg.accountId,
    runId: msg.runId,
    reason,
    delayMs,
    remaining: at.retry?.length,
  });
  await sendMessage("metrics", next, Math.ceil(Math.min(delayMs, MAX_DELAY_SECONDS * 1000) / 1000));
}
