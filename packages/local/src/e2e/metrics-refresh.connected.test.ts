import { setTimeout as sleep } from "node:timers/promises";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { db } from "@studio/core/db/service";
import type { Platform } from "@studio/core/platforms";
import { sqs } from "@studio/core/queue/sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedPublished } from "../testing/published";
import { startTestStudio, type TestStudio } from "../testing/studio";

interface Run {
  id: string;
  status: string;
  finishedAt: string | null;
  counts: Record<string, number>;
  failures: Array<{ ref: string; reason: string }>;
}

/**
 * The metrics refresh through the real path: the API fires the schedule, the fan-out sends one
 * message per active account to the metrics queue (fauxqs), the local runtime's poller runs the
 * Lambda handler, which reads the simulators over HTTP and writes DynamoDB Local. Every failure
 * case of issue 9 part 3 is injected through the simulators' fault API.
 */
/** The metrics request timeout in this file (config/metrics.ts `timeoutMs`). */
const METRICS_TIMEOUT_MS = 8_000;

describe("metrics refresh (connected)", () => {
  let s: TestStudio;
  let ws: { id: string; key: string };

  beforeAll(async () => {
    // Production's 8 s (the slow-answer test below answers later than that). It was 2.5 s, and on
    // a busy machine answers the simulator had given timed out on Studio's side and were asked
    // again, so calls were counted twice (2026-11-28, 2 cores shared with other work).
    process.env.STUDIO_METRICS_TIMEOUT_MS = String(METRICS_TIMEOUT_MS);
    s = await startTestStudio({ pollers: ["metrics"], schedules: false });
    ws = await s.workspace("Metrics");
  });
  afterAll(async () => {
    delete process.env.STUDIO_METRICS_TIMEOUT_MS;
    await s?.stop();
  });

  const account = async (platform: Platform, posts: number, publishedAgoMs?: number) => {
    const a = await s.connect(ws.key, platform);
    const ids = await seedPublished(s.sims.control, {
      workspaceId: ws.id,
      accountId: a.id,
      externalAccountId: a.externalAccountId,
      platform,
      count: posts,
      publishedAgoMs,
    });
    return { ...a, posts: ids };
  };

  const runRefresh = async (): Promise<Run> => {
    const fired = await s.api<{ runId: string }>("POST", "/v1/ops/schedules/metricsRefresh/run");
    expect(fired.status).toBe(202);
    const until = Date.now() + 45_000;
    while (Date.now() < until) {
      const { body } = await s.api<{ items: Run[] }>("GET", "/v1/ops/jobs?kind=metricsRefresh&limit=5");
      const run = body.items.find((r) => r.id === fired.body.runId);
      if (run?.finishedAt) return run;
      await sleep(150);
    }
    throw new Error("the metrics run did not finish");
  };

  const snapshots = async (postId: string) =>
    (await db().entities.postMetrics.query.byPost({ postId }).go({ pages: "all" })).data;
  const snapshotsOfRun = async (postIds: string[], runId: string) =>
    Promise.all(postIds.map(async (id) => (await snapshots(id)).filter((x) => x.runId === runId).length));
  const insightCalls = (externalAccountId: string) =>
    s.sims.control
      .calls({ accountId: externalAccountId })
      .filter((c) => /media_insights|post_insights|video_query/.test(c.operation));

  it("stores one snapshot per post under Studio's names, absent metrics absent; a redelivery writes nothing", async () => {
    // prepare
    const ig = await account("instagram", 12);
    const fb = await account("facebook", 4, 10 * 60_000); // young: no shares yet → absent
    const tt = await account("tiktok", 5);
    // act
    const run = await runRefresh();
    // assess
    expect(run.status).toBe("ok");
    expect(await snapshotsOfRun([...ig.posts, ...fb.posts, ...tt.posts], run.id)).toEqual(Array(21).fill(1));
    const igSnap = (await snapshots(ig.posts[0]!))[0]!;
    expect(Object.keys(igSnap.values).sort()).toEqual(["comments", "likes", "reach", "saves", "shares", "views"]);
    const fbSnap = (await snapshots(fb.posts[0]!))[0]!;
    expect(Object.keys(fbSnap.values).sort()).toEqual(["comments", "likes", "reach", "views"]);
    expect(fbSnap.values).not.toHaveProperty("shares");
    const ttSnap = (await snapshots(tt.posts[0]!))[0]!;
    expect(Object.keys(ttSnap.values).sort()).toEqual(["comments", "likes", "shares", "views"]);
    expect(insightCalls(tt.externalAccountId)).toHaveLength(1); // 5 videos, one query

    // The read APIs.
    const series = await s.api<{ items: Array<{ capturedAt: string; values: Record<string, number> }> }>(
      "GET",
      `/v1/posts/${ig.posts[0]}/metrics`,
      undefined,
      ws.key,
    );
    expect(series.body.items).toEqual([{ capturedAt: igSnap.capturedAt, values: igSnap.values }]);
    const summary = await s.api<{ totals: Record<string, number>; days: Array<Record<string, number>> }>(
      "GET",
      `/v1/accounts/${ig.id}/metrics?days=7`,
      undefined,
      ws.key,
    );
    expect(summary.status).toBe(200);
    expect(summary.body.days).toHaveLength(7);
    expect(summary.body.totals.posts).toBe(12);
    let views = 0;
    for (const id of ig.posts) views += (await snapshots(id))[0]!.values.views!;
    expect(summary.body.totals.views).toBe(views);

    // A redelivered message of the same run (same slot): no platform call, no write, counted once.
    const before = insightCalls(ig.externalAccountId).length;
    const item = await db().entities.jobRun.get({ id: run.id }).go();
    await sqs().send(
      new SendMessageCommand({
        QueueUrl: process.env.STUDIO_QUEUE_URL_METRICS,
        MessageBody: JSON.stringify({
          kind: "metrics",
          workspaceId: ws.id,
          accountId: ig.id,
          runId: run.id,
          slot: (await snapshots(ig.posts[0]!))[0]!.slot,
        }),
      }),
    );
    await sleep(2_500);
    expect(insightCalls(ig.externalAccountId).length).toBe(before);
    expect(await snapshotsOfRun(ig.posts, run.id)).toEqual(Array(12).fill(1));
    expect((await db().entities.jobRun.get({ id: run.id }).go()).data?.counts).toEqual(item.data?.counts);

    // A second run is a run of its own: a second snapshot, values grown or equal.
    const second = await runRefresh();
    expect(await snapshotsOfRun(ig.posts, second.id)).toEqual(Array(12).fill(1));
    expect((await snapshots(ig.posts[0]!)).length).toBe(2);
  });

  it("a 429 mid-run backs off and goes on where it stopped, not from the start", async () => {
    const ig = await account("instagram", 25);
    s.sims.control.addFault({
      operation: "instagram.media_insights",
      type: "rate_limit",
      accountId: ig.externalAccountId,
      skip: 12,
      retryAfterSec: 1,
    });
    const run = await runRefresh();
    expect(await snapshotsOfRun(ig.posts, run.id)).toEqual(Array(25).fill(1));
    const calls = insightCalls(ig.externalAccountId);
    // 25 posts, one call each, plus the one that got the 429 again: never the first batches.
    expect(calls).toHaveLength(26);
    const perObject = new Map<string, number>();
    for (const c of calls) for (const o of c.objects ?? []) perObject.set(o, (perObject.get(o) ?? 0) + 1);
    expect([...perObject.values()].filter((n) => n === 2)).toHaveLength(1);
    expect(run.counts).toMatchObject({ rateLimited: 1 });
    expect(run.status).toBe("ok");
  });

  it("a token that expires mid-run is refreshed once (single flight) and the batch retried", async () => {
    const ig = await account("instagram", 15);
    s.sims.control.addFault({
      operation: "instagram.media_insights",
      type: "token_expired",
      accountId: ig.externalAccountId,
      skip: 11,
      times: 3,
    });
    const run = await runRefresh();
    expect(await snapshotsOfRun(ig.posts, run.id)).toEqual(Array(15).fill(1));
    expect(s.sims.control.calls({ operation: "instagram.refresh" }).length).toBe(1);
    expect(run.counts).toMatchObject({ tokenRefreshes: 1 });
    const acct = (await db().entities.account.get({ id: ig.id }).go()).data!;
    expect(acct.status).toBe("active");
    expect(acct.tokenVersion).toBeGreaterThan(0);
  });

  it("a dead token marks the account needs_reconnect and the run ends cleanly", async () => {
    const fb = await account("facebook", 6);
    s.sims.control.revokeAccount("facebook", fb.externalAccountId);
    const run = await runRefresh();
    expect(run.finishedAt).not.toBeNull();
    expect(run.status).toBe("partial");
    expect(run.failures).toContainEqual({ ref: fb.id, reason: expect.stringContaining("needs reconnecting") });
    expect((await db().entities.account.get({ id: fb.id }).go()).data?.status).toBe("needs_reconnect");
    expect(await snapshotsOfRun(fb.posts, run.id)).toEqual(Array(6).fill(0));
    // The next run skips it (not active): no call.
    const calls = insightCalls(fb.externalAccountId).length;
    await runRefresh();
    expect(insightCalls(fb.externalAccountId).length).toBe(calls);
  });

  it("a post deleted on the platform gets removedOnPlatformAt and is skipped from then on", async () => {
    const ig = await account("instagram", 3);
    const tt = await account("tiktok", 3);
    const igRemote = (await db().entities.post.get({ id: ig.posts[1]! }).go()).data!.platformPostId!;
    const ttRemote = (await db().entities.post.get({ id: tt.posts[2]! }).go()).data!.platformPostId!;
    s.sims.control.deletePost("instagram", igRemote);
    s.sims.control.deletePost("tiktok", ttRemote);
    const run = await runRefresh();
    expect(await snapshotsOfRun(ig.posts, run.id)).toEqual([1, 0, 1]);
    expect(await snapshotsOfRun(tt.posts, run.id)).toEqual([1, 1, 0]);
    const gone = await s.api<{ status: string; removedOnPlatformAt: string | null }>(
      "GET",
      `/v1/posts/${ig.posts[1]}`,
      undefined,
      ws.key,
    );
    expect(gone.body).toMatchObject({ status: "published", removedOnPlatformAt: expect.any(String) });
    expect(run.counts.removedOnPlatform).toBeGreaterThanOrEqual(2);
    const before = insightCalls(ig.externalAccountId).filter((c) => c.objects?.includes(igRemote)).length;
    await runRefresh();
    expect(insightCalls(ig.externalAccountId).filter((c) => c.objects?.includes(igRemote)).length).toBe(before);
  });

  it("a partial batch failure stores the successful posts and retries only the failed ones", async () => {
    const ig = await account("instagram", 10);
    s.sims.control.addFault({
      operation: "instagram.media_insights",
      type: "server_error",
      accountId: ig.externalAccountId,
      times: 3,
    });
    const run = await runRefresh();
    expect(await snapshotsOfRun(ig.posts, run.id)).toEqual(Array(10).fill(1));
    const calls = insightCalls(ig.externalAccountId);
    expect(calls).toHaveLength(13);
    const failed = calls.filter((c) => c.fault).flatMap((c) => c.objects ?? []);
    const retried = calls.slice(10).flatMap((c) => c.objects ?? []);
    expect(retried.sort()).toEqual(failed.sort());
  });

  it("a network timeout is retried and the post stored", async () => {
    const fb = await account("facebook", 4);
    s.sims.control.addFault({
      operation: "facebook.post_insights",
      type: "slow",
      delayMs: METRICS_TIMEOUT_MS + 5_000,
      accountId: fb.externalAccountId,
    });
    const run = await runRefresh();
    expect(await snapshotsOfRun(fb.posts, run.id)).toEqual(Array(4).fill(1));
    expect(insightCalls(fb.externalAccountId)).toHaveLength(5);
  });

  it("an account with no posts and an account whose breaker is open end the run cleanly", async () => {
    const empty = await s.connect(ws.key, "tiktok");
    const ig = await account("instagram", 2);
    await db()
      .entities.account.patch({ id: ig.id })
      .set({ breakerUntil: new Date(Date.now() + 3_600_000).toISOString() })
      .go();
    const run = await runRefresh();
    expect(run.finishedAt).not.toBeNull();
    expect(insightCalls(empty.externalAccountId)).toHaveLength(0);
    expect(insightCalls(ig.externalAccountId)).toHaveLength(0);
    expect(run.failures).toContainEqual({ ref: ig.id, reason: expect.stringContaining("rate-limited") });
    expect(run.counts.accountsBreakerOpen).toBe(1);
    expect(await snapshotsOfRun(ig.posts, run.id)).toEqual([0, 0]);
  });

  it("selects by publication time: a post scheduled 40 days ago but published yesterday is refreshed; one published 31 days ago is not", async () => {
    // prepare: both live on the platform; Studio's times say when each was scheduled and went live.
    const ig = await account("instagram", 2, 86_400_000);
    const [late, old] = ig.posts as [string, string];
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    await db()
      .entities.post.patch({ id: late })
      .set({ scheduledFor: daysAgo(40), calendarAt: daysAgo(40) })
      .go();
    await db()
      .entities.post.patch({ id: old })
      .set({ scheduledFor: daysAgo(31), calendarAt: daysAgo(31), publishedAt: daysAgo(31) })
      .go();
    // act
    const run = await runRefresh();
    // assess: the window is on publishedAt, not on the scheduled time.
    expect(await snapshotsOfRun([late, old], run.id)).toEqual([1, 0]);
    expect(insightCalls(ig.externalAccountId)).toHaveLength(1);
  });

  it("a metric the platform retired (#100 'no longer supported') is dropped: the run goes on without it, the rest stored", async () => {
    // prepare: Instagram retires `shares` and Facebook `post_total_media_view_unique` (reach) today.
    const ig = await account("instagram", 3);
    const fb = await account("facebook", 2);
    s.sims.control.config({ retiredMetrics: ["shares", "post_total_media_view_unique"] });
    try {
      // act
      const run = await runRefresh();
      // assess: every post stored once, without the retired metric, nothing counted as failed
      // (the run's status also reflects the earlier tests' accounts of this workspace).
      expect(await snapshotsOfRun([...ig.posts, ...fb.posts], run.id)).toEqual([1, 1, 1, 1, 1]);
      for (const id of ig.posts) {
        const values = (await snapshots(id)).find((x) => x.runId === run.id)!.values;
        expect(Object.keys(values).sort()).toEqual(["comments", "likes", "reach", "saves", "views"]);
      }
      for (const id of fb.posts) {
        const values = (await snapshots(id)).find((x) => x.runId === run.id)!.values;
        expect(values).not.toHaveProperty("reach");
        expect(values.views).toBeGreaterThan(0);
      }
      expect(run.failures.filter((f) => [...ig.posts, ...fb.posts].includes(f.ref))).toEqual([]);
      // Each post asked at most twice (the rejected ask, then without the metric), never in a loop.
      expect(insightCalls(ig.externalAccountId).length).toBeLessThanOrEqual(2 * ig.posts.length);
      expect(insightCalls(fb.externalAccountId).length).toBeLessThanOrEqual(2 * fb.posts.length);
      expect(insightCalls(ig.externalAccountId).filter((c) => c.fault === undefined).length).toBeGreaterThan(0);
    } finally {
      s.sims.control.config({ retiredMetrics: [] });
    }
  });

  it("usage headers at ≥ 75% pause the account's refresh for the time they say, then it goes on; below 75% it does not pause", async () => {
    // prepare: 25 posts on a busy Instagram account (batches of 10), 12 on a quiet one.
    const busy = await account("instagram", 25);
    const quiet = await account("instagram", 12);
    // The first answer for the busy account says 80% used, access back in 0.05 min (3 s; Graph
    // says whole minutes: a fraction keeps the test short); the quiet one always says 70%.
    s.sims.control.addFault({
      operation: "instagram.media_insights",
      type: "usage_high",
      accountId: busy.externalAccountId,
      usagePercent: 80,
      regainMinutes: 0.05,
      times: 1,
    });
    s.sims.control.addFault({
      operation: "instagram.media_insights",
      type: "usage_high",
      accountId: quiet.externalAccountId,
      usagePercent: 70,
      rate: 1,
    });
    try {
      // act
      const run = await runRefresh();
      // assess: everything stored once; the busy account paused once, after its first batch.
      const mine = [busy.id, quiet.id, ...busy.posts, ...quiet.posts];
      expect(run.failures.filter((f) => mine.includes(f.ref))).toEqual([]);
      expect(await snapshotsOfRun([...busy.posts, ...quiet.posts], run.id)).toEqual(Array(37).fill(1));
      expect(run.counts.pausedForUsage).toBe(1);
      const calls = insightCalls(busy.externalAccountId);
      expect(calls).toHaveLength(25); // nothing asked twice: the pause resumed after the first batch
      const gap = calls[10]!.at - calls[9]!.at;
      expect(gap).toBeGreaterThanOrEqual(2_500); // the 3 s the header asked for (SQS delay), not less
      // The quiet account (70%) went straight through: 12 calls, no pause of its own.
      expect(insightCalls(quiet.externalAccountId)).toHaveLength(12);
    } finally {
      s.sims.control.clearFaults();
    }
  });
});
