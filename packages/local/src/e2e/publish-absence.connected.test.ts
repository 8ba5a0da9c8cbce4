import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStudio, type TestStudio } from "../testing/studio";

/**
 * Facebook absence is proven by the page's listing (issue 7): nothing unexplained in the window
 * where our final call's post can have been created. A post the page owner makes later, outside
 * that window, must not keep the proof from ever coming (before, any unowned post created after
 * the final call blocked it for the whole re-check window).
 */
describe("Facebook absence with a later post on the page (connected)", () => {
  let s: TestStudio;
  let key: string;
  beforeAll(async () => {
    s = await startTestStudio();
    ({ key } = await s.workspace());
  });
  afterAll(() => s?.stop());

  it("a 5xx on the final call, nothing created, a manual post minutes later: failed (not live), never re-sent", async () => {
    const acct = await s.connect(key, "facebook");
    const page = acct.externalAccountId;
    // The page owner posts by hand three minutes after our call (the simulated clock runs ahead,
    // so the page lists that post as created then).
    s.sims.control.advanceClock(180_000);
    s.sims.control.seedPosts({ platform: "facebook", accountId: page, count: 1, ageMs: 0 });
    s.sims.control.addFault({ operation: "facebook.create_post", type: "server_error", accountId: page });
    const caption = `5xx then a manual post ${Date.now()}`;
    const post = await s.schedule(key, acct.id, { caption, media: [] });

    const done = await s.waitFor(key, post.id, (p) => p.status === "failed" || p.status === "published", 40_000);
    expect(done).toMatchObject({ status: "failed", lastError: { code: "post.not_published" } });
    expect(s.copies(caption)).toBe(0);
    expect(s.sims.control.journal({ caption }).map((j) => j.fault)).toEqual(["server_error"]);
  }, 90_000);
});
