import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStudio, type TestStudio } from "../testing/studio";

/**
 * The main job through the real pipeline: API → DynamoDB → (API enqueue | dispatcher) → SQS →
 * poller → publish handler → platform simulator over HTTP → DynamoDB.
 */
describe("publishing: happy paths (connected)", () => {
  let s: TestStudio;
  let key: string;
  beforeAll(async () => {
    s = await startTestStudio();
    ({ key } = await s.workspace());
  });
  afterAll(() => s?.stop());

  it("publishes an Instagram image exactly once, with the media id", async () => {
    const acct = await s.connect(key, "instagram");
    const post = await s.schedule(key, acct.id, { caption: "ig happy #1", media: [s.media("image.jpg")] });
    const done = await s.waitFinal(key, post.id);
    expect(done).toMatchObject({ status: "published", attempts: 1, lastError: null });
    expect(done.externalPostId).toBeTruthy();
    expect(s.copies("ig happy #1")).toBe(1);
  });

  it("publishes an Instagram video as a reel", async () => {
    const acct = await s.connect(key, "instagram");
    const post = await s.schedule(key, acct.id, { caption: "ig reel", media: [s.media("video.mp4")] });
    expect((await s.waitFinal(key, post.id)).status).toBe("published");
    expect(s.copies("ig reel")).toBe(1);
  });

  it("publishes a Facebook photo post with its post_id, and a text post", async () => {
    const acct = await s.connect(key, "facebook");
    const photo = await s.schedule(key, acct.id, { caption: "fb photo", media: [s.media("image.jpg")] });
    const text = await s.schedule(key, acct.id, { caption: "fb text", media: [] });
    const [a, b] = await Promise.all([s.waitFinal(key, photo.id), s.waitFinal(key, text.id)]);
    expect(a.status).toBe("published");
    expect(b.status).toBe("published");
    expect(a.externalPostId).toContain("_"); // page-post id, not the photo id
    expect(s.copies("fb photo") + s.copies("fb text")).toBe(2);
  });

  it("publishes a TikTok video once PUBLISH_COMPLETE, with the publish_id", async () => {
    const acct = await s.connect(key, "tiktok");
    const post = await s.schedule(key, acct.id, { caption: "tt video", media: [s.media("video.mp4")] });
    const done = await s.waitFinal(key, post.id);
    expect(done.status).toBe("published");
    expect(done.externalPostId).toBeTruthy();
    expect(s.copies("tt video")).toBe(1);
  });

  it("keeps the caption unchanged end to end (emoji, newlines, 2,200 characters)", async () => {
    const acct = await s.connect(key, "instagram");
    const caption = `Ünïcödé 🎉\nline two\n${"x".repeat(2200 - 22)}`.slice(0, 2200);
    const post = await s.schedule(key, acct.id, { caption, media: [s.media("image.jpg")] });
    expect((await s.waitFinal(key, post.id)).status).toBe("published");
    expect(s.copies(caption)).toBe(1);
  });
});
