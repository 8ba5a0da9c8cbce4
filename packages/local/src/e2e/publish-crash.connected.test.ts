import { armCrash, type CrashPoint, disarmCrashes } from "@studio/core/publish/crash";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStudio, type TestStudio } from "../testing/studio";

type Platform = "instagram" | "facebook" | "tiktok";

/**
 * A worker killed after each step of each platform's flow: nothing after the crash point runs
 * and the message is not acknowledged (as with a Lambda timeout). Recovery comes from the
 * dispatcher's lease sweep (the lease expires) or the message's redelivery; either way exactly
 * one copy is published.
 */
const matrix: Array<[Platform, CrashPoint]> = [
  ["instagram", "after_claim"],
  ["instagram", "after_container"],
  ["instagram", "before_final_call"],
  ["instagram", "after_final_call"],
  ["instagram", "before_complete"],
  ["facebook", "after_claim"],
  ["facebook", "after_final_call"],
  ["facebook", "before_complete"],
  ["tiktok", "after_claim"],
  ["tiktok", "after_final_call"],
  ["tiktok", "after_init"],
  ["tiktok", "before_complete"],
];

describe("publishing survives a crash at every step (connected)", () => {
  let s: TestStudio;
  let key: string;
  const accounts: Partial<Record<Platform, string>> = {};
  beforeAll(async () => {
    s = await startTestStudio();
    ({ key } = await s.workspace());
    for (const p of ["instagram", "facebook", "tiktok"] as const) accounts[p] = (await s.connect(key, p)).id;
  });
  afterAll(() => s?.stop());
  afterAll(() => disarmCrashes());

  it.concurrent.each(matrix)("%s: crash %s → recovered, exactly one copy", async (platform, point) => {
    const caption = `crash ${platform} ${point}`;
    const media =
      platform === "facebook"
        ? [s.media("image.jpg")]
        : platform === "tiktok"
          ? [s.media("video.mp4")]
          : [s.media("image.jpg")];
    armCrash(point, { caption });
    const post = await s.schedule(key, accounts[platform] as string, { caption, media });
    const done = await s.waitFinal(key, post.id, 45_000);
    expect(done.status).toBe("published");
    // A TikTok video found by reconciliation has its video id, but no publish_id (never answered).
    expect(done.externalPostId ?? done.platformPostId).toBeTruthy();
    expect(s.copies(caption)).toBe(1);
  });

  it.concurrent("facebook: crash between recording the final call and sending it → checked, unconfirmed, then failed; never sent twice", async () => {
    // Indistinguishable from a call whose answer was lost: Studio never sends a second call on
    // a quick absence (a video is listed only once processed). The slow re-check, still not
    // finding the post, settles it failed with a reason, and the user can reschedule.
    const caption = "crash facebook before_final_call";
    armCrash("before_final_call", { caption });
    const post = await s.schedule(key, accounts.facebook as string, { caption, media: [s.media("image.jpg")] });
    const done = await s.waitFor(key, post.id, (p) => p.status === "failed", 45_000);
    expect(done.lastError?.code).toBe("post.not_published");
    expect(s.copies(caption)).toBe(0);
  });

  it.concurrent("tiktok prepared ahead: crash right after the claim that recorded the final call → the unfetched ticket proves init unsent, sent once, published once", async () => {
    // Scheduled 8 s ahead: a prepare message (creator_info, the media) sends the publish
    // message carrying what it read, and the claim records the final call with its media ticket
    // in the same write. A worker killed right after that claim never sent init: the ticket was
    // never fetched, so the next attempt closes it and sends init, once.
    const caption = "crash tiktok after a claim that recorded the final call";
    armCrash("after_claim", { caption });
    const post = await s.schedule(key, accounts.tiktok as string, {
      caption,
      media: [s.media("video.mp4")],
      inMs: 8_000,
    });
    const done = await s.waitFinal(key, post.id, 60_000);
    expect(done.status).toBe("published");
    expect(s.copies(caption)).toBe(1);
    const inits = s.sims.control.calls({ operation: "tiktok.init" }).filter((c) => c.caption === caption);
    expect(inits).toHaveLength(1);
    const infos = s.sims.control.calls({ operation: "tiktok.creator_info" });
    expect(infos.length, "creator_info was read ahead").toBeGreaterThan(0);
  });

  it.concurrent("tiktok: crash between recording the final call and sending it → the unfetched media ticket proves it, sent once, published once", async () => {
    // Without a publish_id, TikTok's video list cannot prove that init never happened (a video
    // in moderation is not listed). The media ticket can: TikTok never fetched the video
    // through it, and once Studio closes it, never can (core/publish/media-pull.ts). So init is
    // sent now — for the first time — and the post is published exactly once.
    const caption = "crash tiktok before_final_call";
    armCrash("before_final_call", { caption });
    const post = await s.schedule(key, accounts.tiktok as string, { caption, media: [s.media("video.mp4")] });
    const done = await s.waitFinal(key, post.id, 45_000);
    expect(done.status).toBe("published");
    expect(s.copies(caption)).toBe(1);
    const inits = s.sims.control.calls({ operation: "tiktok.init" }).filter((c) => c.caption === caption);
    expect(inits).toHaveLength(1);
  });
});
