import { afterEach, describe, expect, it } from "vitest";
import type { Platform } from "../platforms";
import type { PostItem } from "../post/post";
import { Budget } from "../publish/budget";
import { postsSharingQuota } from "../publish/poll-share";
import {
  DEFAULT_PUBLISH_TIMING,
  firstMinuteCalls,
  type MediaKind,
  nextPollMs,
  platformTiming,
  pollShare,
  publishTiming,
  quotaWaitMs,
  type StatusQuota,
  sharedNextPollMs,
} from "./publishing";

const saved = { ...process.env };
afterEach(() => {
  for (const k of [
    "STUDIO_PUBLISH_TIMING",
    "STUDIO_DEADLINE_SCALE",
    "STUDIO_CONTAINER_POLL_MS",
    "STUDIO_RETRY_BASE_MS",
    "STUDIO_RESEND_AFTER_MS",
  ])
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
});

describe("publish timings (one place)", () => {
  it("polls start fine and early, grow with the time waited, and stop growing at the cap", () => {
    const plan = { firstMs: 250, factor: 1.5, maxMs: 60_000, deadlineMs: 900_000 };
    expect(nextPollMs(plan, 0)).toBe(250);
    expect(nextPollMs(plan, 400)).toBe(250);
    expect(nextPollMs(plan, 4_000)).toBe(2_000);
    expect(nextPollMs(plan, 600_000)).toBe(60_000);
  });

  it("checks finely around the usual completion, then backs off as before", () => {
    const plan = {
      firstMs: 600,
      factor: 1.3,
      maxMs: 30_000,
      deadlineMs: 3_600_000,
      fine: { fromMs: 1_200, untilMs: 3_000, everyMs: 150 },
    };
    expect(nextPollMs(plan, 0)).toBe(600);
    expect(nextPollMs(plan, 1_000)).toBe(200); // the first fine check lands at 1.2 s
    expect(nextPollMs(plan, 1_500)).toBe(150);
    expect(nextPollMs(plan, 2_950)).toBe(50); // never past the window's end
    expect(nextPollMs(plan, 4_000)).toBe(1_200);
  });

  it("TikTok's status polls of one post stay inside the quota (30 a minute per token)", () => {
    const plan = platformTiming("tiktok", "video").processing;
    let calls = 1; // right after init
    let at = 0;
    for (;;) {
      at += nextPollMs(plan, at);
      if (at > 60_000) break;
      calls++;
    }
    expect(calls).toBeLessThanOrEqual(26);
    expect(calls).toBeGreaterThanOrEqual(15); // the fine window is there
  });

  it("has a deadline for every wait of every platform and media type", () => {
    for (const [platform, byMedia] of Object.entries(DEFAULT_PUBLISH_TIMING.platforms))
      for (const [kind, t] of Object.entries(byMedia)) {
        expect(t.reconcile.deadlineMs, `${platform} ${kind}`).toBeGreaterThan(0);
        expect(t.recheck.deadlineMs, `${platform} ${kind}`).toBeGreaterThan(0);
        if (platform !== "facebook") expect(t.processing.deadlineMs, `${platform} ${kind}`).toBeGreaterThan(0);
      }
    // TikTok's status quota is 30 calls a minute per token: the slowest poll stays well inside it.
    expect(platformTiming("tiktok", "video").processing.maxMs).toBeGreaterThanOrEqual(2_000);
  });

  it("shortens every deadline by STUDIO_DEADLINE_SCALE and merges STUDIO_PUBLISH_TIMING over it", () => {
    process.env.STUDIO_DEADLINE_SCALE = "0.01";
    process.env.STUDIO_PUBLISH_TIMING = JSON.stringify({
      platforms: { tiktok: { video: { processing: { maxMs: 777 } } } },
    });
    const t = publishTiming();
    expect(t.retry.windowMs).toBe(36_000);
    expect(t.platforms.instagram.image.processing.deadlineMs).toBe(9_000);
    expect(t.platforms.tiktok.video.processing).toMatchObject({ maxMs: 777, deadlineMs: 36_000 });
    expect(t.breaker.holdInPlaceMaxMs).toBe(600);
    // Every platform and media type scaled once, though the defaults share their plans (a shared
    // plan scaled once per entry left a re-check deadline of microseconds: no re-check ever ran).
    for (const [platform, byMedia] of Object.entries(DEFAULT_PUBLISH_TIMING.platforms))
      for (const [kind, d] of Object.entries(byMedia)) {
        const scaled = platformTiming(platform as Platform, kind as MediaKind);
        expect(scaled.recheck.deadlineMs, `${platform} ${kind}`).toBeCloseTo(d.recheck.deadlineMs * 0.01);
        expect(scaled.reconcile.deadlineMs, `${platform} ${kind}`).toBeCloseTo(d.reconcile.deadlineMs * 0.01);
        expect(scaled.absenceProofAfterMs, `${platform} ${kind}`).toBeCloseTo(d.absenceProofAfterMs * 0.01);
      }
    // Defaults are untouched.
    expect(DEFAULT_PUBLISH_TIMING.retry.windowMs).toBe(3_600_000);
  });

  it("re-sends a lost publish message 2 min after its post's time, or as STUDIO_RESEND_AFTER_MS says", () => {
    delete process.env.STUDIO_RESEND_AFTER_MS;
    process.env.STUDIO_DEADLINE_SCALE = "0.02";
    // Not a deadline: the deadline scale leaves it alone (2.4 s would be about a dispatcher period).
    expect(publishTiming().dispatch.resendAfterMs).toBe(120_000);
    process.env.STUDIO_RESEND_AFTER_MS = "12000";
    expect(publishTiming().dispatch.resendAfterMs).toBe(12_000);
    expect(DEFAULT_PUBLISH_TIMING.dispatch.resendAfterMs).toBe(120_000);
  });

  it("an invocation's budget ends a margin before the function's timeout and bounds every timeout", () => {
    let t = 0;
    const budget = Budget.until(30_000, () => t);
    expect(budget.remainingMs()).toBe(28_000);
    expect(budget.timeoutFor(10_000)).toBe(10_000);
    expect(budget.fitsFinalCall()).toBe(true);
    t = 20_000;
    expect(budget.timeoutFor(10_000)).toBe(8_000);
    expect(budget.fitsFinalCall()).toBe(false); // 8 s left < the final call's 12 s
    t = 40_000;
    expect(budget.timeoutFor(10_000)).toBe(1);
  });
});

/**
 * The status quota shared by an account's posts (TikTok: 30 status calls in any 60 s window per
 * token). Each post is played out with the functions the worker uses: its share from the
 * account's posts around it (publish/poll-share.ts), the next check from the thinned plan, the
 * sliding-minute gate before every call, and late deliveries (a `continue` message's delay is
 * whole seconds; a busy poller picks it up later still).
 */
describe("TikTok's status quota shared by an account's posts", () => {
  const quota = DEFAULT_PUBLISH_TIMING.platforms.tiktok.video.statusQuota as StatusQuota;
  const plan = DEFAULT_PUBLISH_TIMING.platforms.tiktok.video.processing;

  /** A tiny deterministic generator (tests must not depend on luck). */
  const rng = (seed: number) => () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };

  interface Played {
    initAt: number;
    /** How long TikTok takes (Infinity: never completes; the post polls until its deadline). */
    processingMs: number;
    posts: number;
  }

  /** Every status call of every post (epoch-free ms), and when each post got its verdict. */
  function play(posts: Played[], seed = 1) {
    const random = rng(seed);
    const calls: number[] = [];
    const verdicts: number[] = [];
    for (const p of posts) {
      const share = pollShare(quota, p.posts);
      const mine: number[] = [];
      // The first check right after init's answer (50–250 ms).
      let at = p.initAt + 50 + random() * 200;
      for (;;) {
        const gate = quotaWaitMs(mine, share, at);
        if (gate > 0 && at - p.initAt >= plan.deadlineMs) {
          // Past the deadline with the share used up: the verdict from the last check (processing).
          verdicts.push(at - p.initAt);
          break;
        }
        if (gate > 0) {
          at += gate + random() * 1_200;
          continue;
        }
        mine.push(at);
        calls.push(at);
        const elapsed = at - p.initAt;
        if (elapsed >= p.processingMs || elapsed >= plan.deadlineMs) {
          verdicts.push(elapsed);
          break;
        }
        const delay = Math.min(
          Math.max(sharedNextPollMs(plan, elapsed, share), quotaWaitMs(mine, share, at)),
          plan.deadlineMs - elapsed,
        );
        // Inline (in the invocation) while early: a few ms late; later, a queue round trip: up to 1.2 s late.
        at +=
          delay +
          (elapsed + delay <= 3_000 ? random() * 20 : Math.ceil(delay / 1000) * 1000 - delay + random() * 1_200);
      }
    }
    return { calls: calls.sort((a, b) => a - b), verdicts };
  }

  /** The most calls in any 60 s window, as TikTok counts them (the window ending at each call). */
  function busiestMinute(calls: number[]): number {
    let most = 0;
    for (let i = 0, j = 0; i < calls.length; i++) {
      while ((calls[j] as number) <= (calls[i] as number) - 60_000) j++;
      most = Math.max(most, i - j + 1);
    }
    return most;
  }

  it("a lone post keeps its whole plan: 25 checks in its first minute, every 100 ms around 1.4–2.3 s", () => {
    expect(firstMinuteCalls(plan)).toBe(25);
    const share = pollShare(quota, 1);
    expect(share).toBe(28);
    for (const e of [0, 600, 1_200, 1_400, 1_900, 2_250, 2_300, 5_000, 60_000, 600_000])
      expect(sharedNextPollMs(plan, e, share), `at ${e} ms`).toBe(nextPollMs(plan, e));
    // The last check lands on the deadline, not up to 30 s after it.
    expect(sharedNextPollMs(plan, plan.deadlineMs - 10_000, share)).toBe(10_000);
  });

  it("n posts of one account → each gets ⌊28 / n⌋ checks a minute, and n × that ≤ 30", () => {
    for (let n = 1; n <= 28; n++) {
      expect(pollShare(quota, n) * n, `n = ${n}`).toBeLessThanOrEqual(quota.perMinute - quota.reserve);
      expect(pollShare(quota, n)).toBeGreaterThanOrEqual(1);
    }
    expect(pollShare(quota, 3)).toBe(9);
    expect(pollShare(quota, 40)).toBe(1);
    // Thinned, the plan keeps its shape: 3 posts check every 300 ms around the usual completion.
    expect(sharedNextPollMs(plan, 1_400, 9)).toBe(300);
    // The sliding minute: the 10th check of a share of 9 waits until the first is a minute old (+1 s of slack).
    const nine = Array.from({ length: 9 }, (_, i) => 1_000 + i * 100);
    expect(quotaWaitMs(nine, 9, 5_000)).toBe(57_000);
    expect(quotaWaitMs(nine.slice(1), 9, 5_000)).toBe(0);
  });

  it("any number of posts due in the same second stay inside 30 calls in any 60 s window", () => {
    for (const n of [1, 2, 3, 4, 5, 6, 8, 10, 14, 20, 28])
      for (const processingMs of [1_500, 2_800, 12_000, 90_000, Number.POSITIVE_INFINITY])
        for (const seed of [1, 2, 3]) {
          const posts = Array.from({ length: n }, (_, i) => ({ initAt: i * 37, processingMs, posts: n }));
          const { calls } = play(posts, seed);
          expect(busiestMinute(calls), `n=${n} processing ${processingMs} ms seed ${seed}`).toBeLessThanOrEqual(
            quota.perMinute - quota.reserve,
          );
        }
  });

  it("posts due over a few minutes, counted by postsSharingQuota, stay inside the quota; each gets its verdict", () => {
    const window = quota.shareWindowMs;
    // Due every 20 s, 45 s or 100 s; some never complete (polled to their deadline).
    for (const spacing of [20_000, 45_000, 100_000]) {
      const due = Array.from({ length: 12 }, (_, i) => i * spacing);
      const stuck = (i: number) => i % 4 === 1;
      const posts = due.map((at, i) => {
        // What the post reads at its init: the others as they are then.
        const others = due.map((d, j) => ({
          id: `p${j}`,
          platform: "tiktok" as const,
          status: (d > at ? "scheduled" : j === i || stuck(j) || at - d < 3_000 ? "publishing" : "published") as
            | "scheduled"
            | "publishing"
            | "published",
          scheduledFor: new Date(d).toISOString(),
          finalCallAt: d <= at ? new Date(d).toISOString() : undefined,
        }));
        const n = postsSharingQuota(others, { id: `p${i}`, platform: "tiktok" }, at, window);
        return { initAt: at, processingMs: stuck(i) ? Number.POSITIVE_INFINITY : 1_600, posts: n };
      });
      const { calls, verdicts } = play(posts, spacing);
      expect(busiestMinute(calls), `every ${spacing / 1000} s`).toBeLessThanOrEqual(quota.perMinute);
      // Every post reaches its verdict: a completed one within seconds, a stuck one at its deadline.
      for (const [i, v] of verdicts.entries())
        if (posts[i]?.processingMs === 1_600) expect(v, `post ${i}`).toBeLessThan(10_000);
        else expect(v, `post ${i}`).toBeLessThanOrEqual(plan.deadlineMs + 2_500);
    }
  });

  it("more posts than the quota: TikTok's init quota (6 a minute) starts at most 12 within two minutes; a share of 1 each stays inside", () => {
    const n = 40;
    const posts = Array.from({ length: n }, (_, i) => ({
      initAt: Math.floor(i / 6) * 61_000 + (i % 6) * 50,
      processingMs: i % 3 === 0 ? 20_000 : 1_600,
      posts: n - Math.floor(i / 6) * 6,
    }));
    const { calls, verdicts } = play(posts, 7);
    expect(busiestMinute(calls)).toBeLessThanOrEqual(quota.perMinute);
    expect(verdicts).toHaveLength(n);
    for (const v of verdicts) expect(v).toBeLessThan(plan.deadlineMs);
  });

  it("counts the account's posts that may poll alongside: in flight, due near, or finished near", () => {
    const at = Date.parse("2026-11-28T21:00:00.000Z");
    const iso = (ms: number) => new Date(at + ms).toISOString();
    const post = (id: string, status: PostItem["status"], extra: Partial<PostItem> = {}) =>
      ({ id, platform: "tiktok", status, ...extra }) as PostItem;
    const n = postsSharingQuota(
      [
        post("self", "publishing", { scheduledFor: iso(0), finalCallAt: iso(0) }),
        post("due-soon", "scheduled", { scheduledFor: iso(90_000) }),
        post("due-later", "scheduled", { scheduledFor: iso(200_000) }),
        post("held-near", "scheduled", { scheduledFor: iso(-3_600_000), heldUntil: iso(30_000) }),
        post("retrying", "publishing", { scheduledFor: iso(-1_800_000) }),
        post("stuck", "publishing", { scheduledFor: iso(-600_000), finalCallAt: iso(-600_000) }),
        post("done-near", "published", { scheduledFor: iso(-60_000), finalCallAt: iso(-60_000) }),
        post("done-long-ago", "published", { scheduledFor: iso(-300_000), finalCallAt: iso(-300_000) }),
        post("cancelled", "cancelled", { scheduledFor: iso(1_000) }),
        { ...post("ig", "publishing"), platform: "instagram" },
      ],
      { id: "self", platform: "tiktok" },
      at,
      120_000,
    );
    // self, due-soon, held-near, retrying, stuck, done-near.
    expect(n).toBe(6);
  });
});
