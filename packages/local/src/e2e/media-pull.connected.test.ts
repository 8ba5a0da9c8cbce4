import { db } from "@studio/core/db/service";
import type { PostItem } from "@studio/core/post/post";
import { closeTicket } from "@studio/core/publish/media-pull";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStudio, type TestStudio } from "../testing/studio";

/**
 * TikTok fetches a post's video through a media ticket of Studio's own (core/publish/media-pull.ts):
 * the fetch is recorded before TikTok is redirected to the media, and a closed ticket refuses
 * every later fetch — the witness that settles an init whose answer was lost.
 */
describe("media pull tickets (connected)", () => {
  let s: TestStudio;
  let key: string;
  beforeAll(async () => {
    s = await startTestStudio();
    ({ key } = await s.workspace());
  });
  afterAll(() => s?.stop());

  const item = async (id: string) => (await db().entities.post.get({ id }).go({ consistent: true })).data;
  const raw = (path: string) => fetch(`${s.runtime.apiUrl}${path}`, { redirect: "manual" });

  it("TikTok pulls the video through the post's ticket; the fetch is on the post; init carried the ticket's URL", async () => {
    const acct = await s.connect(key, "tiktok");
    const post = await s.schedule(key, acct.id, { caption: "tt ticket #1", media: [s.media("video.mp4")] });
    expect((await s.waitFinal(key, post.id)).status).toBe("published");
    expect(s.copies("tt ticket #1")).toBe(1);
    const it = await item(post.id);
    expect(it?.pullTicket).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(it?.pulledTicket).toBe(it?.pullTicket);
    expect(it?.pulledAt).toBeTruthy();
    // The ticket still answers TikTok (a retried download) with the media.
    const again = await raw(`/v1/media-pulls/${post.id}/${it?.pullTicket}`);
    expect(again.status).toBe(302);
    expect(again.headers.get("location")).toBe(s.media("video.mp4").url);
    // Nothing about the ticket leaves through the API.
    const seen = await s.api("GET", `/v1/posts/${post.id}`, undefined, key);
    expect(JSON.stringify(seen.body)).not.toContain(it?.pullTicket as string);
  });

  it("a closed ticket refuses every fetch (410); a closed ticket that was fetched says so", async () => {
    const acct = await s.connect(key, "tiktok");
    const post = await s.schedule(key, acct.id, { caption: "tt ticket #2", media: [s.media("video.mp4")] });
    expect((await s.waitFinal(key, post.id)).status).toBe("published");
    const it = (await item(post.id)) as unknown as PostItem;
    // Fetched already: closing it answers "pulled" and leaves it open.
    expect((await closeTicket(it)).outcome).toBe("pulled");
    expect((await raw(`/v1/media-pulls/${post.id}/${it.pullTicket}`)).status).toBe(302);
    // A ticket never fetched: closed, then refused for good.
    const fresh = "AAAAAAAAAAAAAAAAAAAAAA";
    await db().entities.post.patch({ id: post.id }).set({ pullTicket: fresh }).go();
    expect((await closeTicket({ ...it, pullTicket: fresh })).outcome).toBe("closed");
    const refused = await raw(`/v1/media-pulls/${post.id}/${fresh}`);
    expect(refused.status).toBe(410);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("media.pull_closed");
    // Closing twice is harmless.
    expect((await closeTicket({ ...it, pullTicket: fresh })).outcome).toBe("closed");
  });

  it("answers 410 for a ticket never issued and 404 for anything not shaped like a ticket, with no stack trace", async () => {
    const none = await raw("/v1/media-pulls/post_doesnotexist/BBBBBBBBBBBBBBBBBBBBBB");
    expect(none.status).toBe(410);
    const bad = await raw("/v1/media-pulls/post_x/not-a-ticket");
    expect(bad.status).toBe(404);
    const body = (await bad.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("media.pull_not_found");
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  });
});
