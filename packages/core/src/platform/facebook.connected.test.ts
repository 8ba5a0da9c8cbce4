import { type Simulators, startSimulators } from "@studio/local/simulators/index";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PlatformError } from "./errors";
import { adapters } from "./index";
import type { AccountCredentials, FacebookAdapter } from "./types";

let sims: Simulators;
let fb: FacebookAdapter;

async function failure(p: Promise<unknown>): Promise<PlatformError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PlatformError) return e;
    throw e;
  }
  throw new Error("expected a PlatformError");
}

beforeAll(async () => {
  sims = await startSimulators({ port: 0 });
  process.env.STUDIO_FACEBOOK_API_URL = sims.facebookUrl;
  fb = adapters({ timeoutMs: 1_000 }).facebook;
});
afterAll(() => sims.stop());
beforeEach(() => sims.control.reset());

const page = (): AccountCredentials => {
  const a = sims.control.registerAccount({ platform: "facebook" });
  return { externalAccountId: a.accountId, accessToken: a.accessToken };
};

describe("Facebook adapter against the simulator", () => {
  it("publishes text, photo (post_id) and video (id); all appear in published_posts", async () => {
    // A video is listed only once Facebook has processed it (the simulator's
    // facebookVideoReadyMs; the wait itself is covered by e2e/publish-deadlines): none here.
    sims.control.config({ facebookVideoReadyMs: 0 });
    const creds = page();
    const text = await fb.createPost(creds, { caption: "just words", media: [] });
    const photo = await fb.createPost(creds, {
      caption: "a photo",
      media: [{ url: `${sims.mediaUrl}/image.png`, type: "image" }],
    });
    const video = await fb.createPost(creds, {
      caption: "a video",
      media: [{ url: `${sims.mediaUrl}/video.mp4`, type: "video" }],
    });

    expect(text.externalPostId).toMatch(new RegExp(`^${creds.externalAccountId}_\\d+$`));
    // Photos answer { id, post_id }: the page post id is post_id.
    expect(photo.externalPostId).toMatch(new RegExp(`^${creds.externalAccountId}_\\d+$`));
    expect(video.externalPostId).toMatch(/^\d+$/);
    const recent = await fb.recentPosts(creds);
    expect(recent.map((p) => p.caption)).toEqual(expect.arrayContaining(["just words", "a photo", "a video"]));
    expect(recent.map((p) => p.id)).toEqual(expect.arrayContaining([text.externalPostId, photo.externalPostId]));
    expect(sims.control.published({ platform: "facebook" }).map((g) => g.count)).toEqual([1, 1, 1]);
  });

  it("a lost answer after the post was created → unknown_outcome; exactly one copy; the retry gets 506", async () => {
    const creds = page();
    sims.control.addFault({ operation: "facebook.create_post", type: "response_lost" });
    const e = await failure(fb.createPost(creds, { caption: "once only", media: [] }));
    expect(e.kind).toBe("unknown_outcome");
    expect(sims.control.published({ caption: "once only" })[0]?.count).toBe(1);
    expect((await fb.recentPosts(creds))[0]?.caption).toBe("once only");
    // A blind repeat of an identical text post is refused as a duplicate: still "maybe live".
    const dup = await failure(fb.createPost(creds, { caption: "once only", media: [] }));
    expect([dup.kind, dup.code, dup.platformCode]).toEqual(["unknown_outcome", "platform.duplicate_post", "506"]);
    expect(sims.control.published({ caption: "once only" })[0]?.count).toBe(1);
  });

  it("a page token that stopped working (190) means reconnect", async () => {
    const creds = page();
    sims.control.revokeAccount("facebook", creds.externalAccountId);
    const e = await failure(fb.createPost(creds, { caption: "x", media: [] }));
    expect([e.kind, e.code, e.platformCode]).toEqual(["reconnect", "account.needs_reconnect", "190"]);
  });

  it("posting too fast (1390008) → rate_limited; policy block (368) → permanent", async () => {
    const creds = page();
    sims.control.addFault({ operation: "facebook.create_post", type: "throttle", code: 1390008, retryAfterSec: 90 });
    const e = await failure(fb.createPost(creds, { caption: "fast", media: [] }));
    expect([e.kind, e.retryAfterMs]).toEqual(["rate_limited", 90_000]);
    sims.control.addFault({ operation: "facebook.create_post", type: "policy_block" });
    expect((await failure(fb.createPost(creds, { caption: "bad", media: [] }))).kind).toBe("permanent");
    expect(sims.control.published()).toEqual([]);
  });

  it("a missing photo is post.media_invalid; a 5xx on the final call is unknown_outcome", async () => {
    const creds = page();
    const e = await failure(
      fb.createPost(creds, { caption: "x", media: [{ url: `${sims.mediaUrl}/missing.jpg`, type: "image" }] }),
    );
    expect([e.kind, e.code]).toEqual(["permanent", "post.media_invalid"]);
    sims.control.addFault({ operation: "facebook.create_post", type: "server_error" });
    expect((await failure(fb.createPost(creds, { caption: "y", media: [] }))).kind).toBe("unknown_outcome");
    expect(sims.control.published()).toEqual([]);
  });

  it("recent posts survive a 5xx by being retryable", async () => {
    const creds = page();
    sims.control.addFault({ operation: "facebook.recent_posts", type: "server_error", status: 502 });
    expect((await failure(fb.recentPosts(creds))).kind).toBe("retryable");
  });
});
