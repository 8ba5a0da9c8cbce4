import { afterEach, describe, expect, it } from "vitest";
import type { Platform } from "../platforms";
import { Budget } from "../publish/budget";
import { DEFAULT_PUBLISH_TIMING, type MediaKind, nextPollMs, platformTiming, publishTiming } from "./publishing";

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
