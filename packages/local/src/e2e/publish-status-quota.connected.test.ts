import { DEFAULT_PUBLISH_TIMING } from "@studio/core/config/publishing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStudio, TEST_TIMING, type TestStudio } from "../testing/studio";

/**
 * TikTok's status endpoint allows 30 calls in any 60 s window per token (the simulator enforces
 * it per token in a sliding window: a 429 past it). One post's plan alone makes 25 checks in its
 * first minute; the account's posts due together share the quota instead (publish/poll-share.ts).
 * Three posts of one account due in the same second, each taking TikTok 15 s to process (each
 * would make ~20 checks by then on its own: 60 together): every one is published once, no status
 * call gets a 429, and none is late beyond its processing deadline.
 */
const PROCESSING_DEADLINE_MS = 120_000;

describe("TikTok status polls of one account share the quota (connected)", () => {
  let s: TestStudio;
  let key: string;
  beforeAll(async () => {
    const tiktok = DEFAULT_PUBLISH_TIMING.platforms.tiktok.video;
    process.env.STUDIO_PUBLISH_TIMING = JSON.stringify({
      ...TEST_TIMING,
      platforms: {
        ...TEST_TIMING.platforms,
        // Production's poll plan and quota, with a deadline the test can wait for.
        tiktok: {
          video: {
            ...TEST_TIMING.platforms.tiktok.video,
            processing: { ...tiktok.processing, deadlineMs: PROCESSING_DEADLINE_MS },
            statusQuota: tiktok.statusQuota,
          },
        },
      },
    });
    s = await startTestStudio();
    ({ key } = await s.workspace());
    // TikTok's own limits (30 status calls, 6 inits a minute per token); 15 s of processing.
    s.sims.control.config({ tiktokStatusPerMinute: 30, tiktokInitPerMinute: 6, tiktokCompleteMs: 15_000 });
  });
  afterAll(() => s?.stop());

  it("three posts due in the same second: all published once, zero 429s on status, ≤ 30 calls in any minute", async () => {
    const acct = await s.connect(key, "tiktok");
    const tag = Math.random().toString(36).slice(2, 8);
    const captions = [1, 2, 3].map((i) => `quota ${tag} #${i}`);
    const ids: string[] = [];
    for (const caption of captions) {
      const res = await s.api<{ id: string }>(
        "POST",
        "/v1/posts",
        { accountId: acct.id, caption, media: [s.media("video.mp4")] },
        key,
      );
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    // The same second for all three, far enough ahead that scheduling cannot race it.
    const due = new Date(Math.ceil((Date.now() + 12_000) / 1000) * 1000).toISOString();
    for (const id of ids) {
      const res = await s.api("POST", `/v1/posts/${id}/schedule`, { scheduledFor: due }, key);
      expect(res.status).toBe(200);
    }

    const done = await Promise.all(ids.map((id) => s.waitFinal(key, id, 12_000 + PROCESSING_DEADLINE_MS + 30_000)));
    for (const [i, p] of done.entries()) {
      expect(p.status, captions[i]).toBe("published");
      expect(s.copies(captions[i] as string)).toBe(1);
      expect(
        Date.parse(p.publishedAt as string) - Date.parse(due),
        "published within its processing deadline",
      ).toBeLessThan(PROCESSING_DEADLINE_MS);
    }
    expect(s.sims.control.calls({ operation: "tiktok.init", accountId: acct.externalAccountId })).toHaveLength(3);

    const status = s.sims.control.calls({ operation: "tiktok.status", accountId: acct.externalAccountId });
    expect(
      status.filter((c) => c.answered === 429),
      "status calls refused by the quota",
    ).toHaveLength(0);
    expect(status.every((c) => c.answered === 200)).toBe(true);
    // The busiest 60 s window, as TikTok counts it.
    const at = status.map((c) => c.at).sort((a, b) => a - b);
    let busiest = 0;
    for (let i = 0, j = 0; i < at.length; i++) {
      while ((at[j] as number) <= (at[i] as number) - 60_000) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    expect(busiest).toBeLessThanOrEqual(30);
    // Each post still checked often enough to see its video complete (at least twice).
    expect(at.length).toBeGreaterThanOrEqual(6);
  }, 240_000);
});
