import { db } from "@studio/core/db/service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStudio, type TestStudio } from "../testing/studio";

/**
 * Facebook's two ids for a video (issue 7, part 3: "compare by the right kind of id"): `/videos`
 * answers the video id, the page shows the video as the page post `{page-id}_{video-id}`
 * (published_posts lists it once processed, the `videos` edge at once). Reconciliation compares
 * a listing's ids with the same kind of id of the account's other posts, so a lost answer never
 * claims another Studio post's video.
 */
describe.concurrent("Facebook video ids (connected)", () => {
  let s: TestStudio;
  let key: string;
  let n = 0;
  const caption = (what: string) => `${what} #${++n}`;
  beforeAll(async () => {
    s = await startTestStudio();
    ({ key } = await s.workspace());
    s.sims.control.config({ facebookVideoReadyMs: 200 });
  });
  afterAll(() => s?.stop());

  const stored = async (id: string) => (await db().entities.post.get({ id }).go({ consistent: true })).data;

  it("two videos with one caption, the second's answer lost: it is matched to its own video, not the first", async () => {
    const acct = await s.connect(key, "facebook");
    const c = caption("fb same caption video");
    const first = await s.schedule(key, acct.id, { caption: c, media: [s.media("video.mp4")] });
    expect((await s.waitFinal(key, first.id, 60_000)).status).toBe("published");
    const one = await stored(first.id);
    expect(one?.platformPostId).toBe(`${acct.externalAccountId}_${one?.externalPostId}`);

    s.sims.control.addFault({
      operation: "facebook.create_post",
      type: "response_lost",
      accountId: acct.externalAccountId,
    });
    const second = await s.schedule(key, acct.id, { caption: c, media: [s.media("video.mp4")] });
    expect((await s.waitFinal(key, second.id, 60_000)).status).toBe("published");
    const two = await stored(second.id);
    expect(two?.externalPostId).toBeTruthy();
    expect(two?.externalPostId).not.toBe(one?.externalPostId);
    expect(two?.platformPostId).toBe(`${acct.externalAccountId}_${two?.externalPostId}`);
    // Both are real, distinct videos on the page.
    const ids = s.sims.control.published({ caption: c }).flatMap((g) => g.ids);
    expect(ids).toEqual(expect.arrayContaining([one?.platformPostId, two?.platformPostId]));
    expect(s.copies(c)).toBe(2);
  }, 120_000);

  it("an older video item (video id only) is not taken for a text post with its caption whose call did nothing", async () => {
    const acct = await s.connect(key, "facebook");
    const c = caption("fb old video item");
    const video = await s.schedule(key, acct.id, { caption: c, media: [s.media("video.mp4")] });
    expect((await s.waitFinal(key, video.id, 60_000)).status).toBe("published");
    // As published before `platformPostId` existed: only the video id is stored.
    await db().entities.post.patch({ id: video.id }).remove(["platformPostId"]).go();
    // Processed 200 ms after upload: by the time the text post below falls due, the page's
    // published_posts lists the video as `{page}_{video}` with that caption.
    // A text post with the same caption: its call times out and does nothing.
    s.sims.control.addFault({
      operation: "facebook.create_post",
      type: "timeout",
      delayMs: 500,
      accountId: acct.externalAccountId,
    });
    const text = await s.schedule(key, acct.id, { caption: c, media: [] });
    const done = await s.waitFor(key, text.id, (p) => p.status === "failed" || p.status === "published", 60_000);
    // The only post on the page with that caption is the older video's: the text post is not live.
    expect(done).toMatchObject({ status: "failed", lastError: { code: "post.not_published" } });
    expect(s.copies(c)).toBe(1);
  }, 120_000);
});
