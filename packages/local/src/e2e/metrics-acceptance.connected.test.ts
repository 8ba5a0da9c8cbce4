import { setTimeout as sleep } from "node:timers/promises";
import { db } from "@studio/core/db/service";
import type { Platform } from "@studio/core/platforms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedPublished } from "../testing/published";
import { startTestStudio, type TestStudio } from "../testing/studio";

const PLATFORMS: Platform[] = ["instagram", "facebook", "tiktok"];
const OPS: Record<Platform, string> = {
  instagram: "instagram.media_insights",
  facebook: "facebook.post_insights",
  tiktok: "tiktok.video_query",
};
/** Call budgets of the simulated platforms for this run (Graph per account per hour; TikTok per minute). */
const GRAPH_PER_HOUR = 400;
const TIKTOK_PER_MINUTE = 30;

/**
 * Issue 9's acceptance: 3 workspaces × 3 platforms × 60 posts, 25% of the platform's metrics
 * calls faulted (5xx, dropped connections, 429 with Retry-After). After the run: every post has
 * exactly one snapshot of that run, only failed fetches were asked again, and no account ever
 * went over the simulator's call budget in any window.
 */
describe("metrics refresh acceptance: 540 posts under 25% faults (connected)", () => {
  let s: TestStudio;
  const posts: Array<{ id: string; remote: string; platform: Platform; account: string }> = [];

  beforeAll(async () => {
    // The production request timeout (config/metrics.ts, 8 s), not a shortened one: no fault here
    // hangs, and the simulator's journal is the ground truth of "only failed fetches were asked
    // again" — with 3 s, a busy machine let a fetch the simulator had answered time out on
    // Studio's side, so it was asked again and counted twice (2026-11-28).
    s = await startTestStudio({ pollers: ["metrics"], schedules: false });
    s.sims.control.config({ graphCallsPerHourPerAccount: GRAPH_PER_HOUR, tiktokQueryPerMinute: TIKTOK_PER_MINUTE });
    for (let w = 0; w < 3; w++) {
      const ws = await s.workspace(`Acceptance ${w}`);
      for (const platform of PLATFORMS) {
        const a = await s.connect(ws.key, platform);
        const ids = await seedPublished(s.sims.control, {
          workspaceId: ws.id,
          accountId: a.id,
          externalAccountId: a.externalAccountId,
          platform,
          count: 60,
          publishedAgoMs: 2 * 3_600_000,
        });
        for (const id of ids) {
          const p = (await db().entities.post.get({ id }).go()).data!;
          posts.push({ id, remote: p.platformPostId!, platform, account: a.externalAccountId });
        }
      }
    }
    // 25% of metrics calls fail: 14% server errors, 7% dropped connections, 4% rate limits.
    s.sims.control.addFaults(
      PLATFORMS.flatMap((p) => [
        { operation: OPS[p], type: "server_error" as const, rate: 0.14 },
        { operation: OPS[p], type: "reset" as const, rate: 0.0814 },
        { operation: OPS[p], type: "rate_limit" as const, rate: 0.0512, retryAfterSec: 1 },
      ]),
      9,
    );
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("every post exactly one snapshot of the run; only failed fetches retried; never over a limit", async () => {
    const fired = await s.api<{ runId: string }>("POST", "/v1/ops/schedules/metricsRefresh/run");
    const runId = fired.body.runId;
    let run: { finishedAt: string | null; status: string; counts: Record<string, number> } | undefined;
    const until = Date.now() + 150_000;
    while (Date.now() < until) {
      const { body } = await s.api<{ items: Array<typeof run & { id: string }> }>(
        "GET",
        "/v1/ops/jobs?kind=metricsRefresh&limit=3",
      );
      run = body.items.find((r) => r?.id === runId);
      if (run?.finishedAt) break;
      await sleep(250);
    }
    expect(run?.finishedAt).toEqual(expect.any(String));
    expect(run?.status).toBe("ok");

    // Exactly one snapshot of this run per post.
    const counts = await Promise.all(
      posts.map(
        async (p) =>
          (await db().entities.postMetrics.query.byPost({ postId: p.id }).go({ pages: "all" })).data.filter(
            (x) => x.runId === runId,
          ).length,
      ),
    );
    expect(counts.filter((n) => n !== 1)).toEqual([]);
    expect(run?.counts.snapshots).toBe(540);

    // Only failed fetches were asked again: per object, every call but the last one faulted,
    // and exactly one answered normally.
    const calls = s.sims.control.calls().filter((c) => Object.values(OPS).includes(c.operation));
    const injected = calls.filter((c) => c.fault).length;
    expect(injected / calls.length).toBeGreaterThan(0.15);
    const byObject = new Map<string, Array<{ fault?: string }>>();
    for (const c of calls) for (const o of c.objects ?? []) byObject.set(o, [...(byObject.get(o) ?? []), c]);
    for (const p of posts) {
      const seen = byObject.get(p.remote) ?? [];
      expect(
        seen.filter((c) => !c.fault),
        `${p.platform} ${p.remote}`,
      ).toHaveLength(1);
      expect(seen.at(-1)?.fault, `${p.platform} ${p.remote}`).toBeUndefined();
    }

    // Never over a limit: no call was refused for a spent budget, and the busiest window of
    // each account stayed within it.
    expect(s.sims.control.limitHits()).toEqual({});
    const byAccount = new Map<string, number[]>();
    for (const c of calls)
      byAccount.set(`${c.operation}|${c.accountId}`, [...(byAccount.get(`${c.operation}|${c.accountId}`) ?? []), c.at]);
    for (const [key, ats] of byAccount) {
      const windowMs = key.startsWith("tiktok") ? 60_000 : 3_600_000;
      const limit = key.startsWith("tiktok") ? TIKTOK_PER_MINUTE : GRAPH_PER_HOUR;
      let max = 0;
      for (let i = 0, j = 0; i < ats.length; i++) {
        while (ats[i]! - ats[j]! >= windowMs) j++;
        max = Math.max(max, i - j + 1);
      }
      expect(max, key).toBeLessThanOrEqual(limit);
    }
  });
});
