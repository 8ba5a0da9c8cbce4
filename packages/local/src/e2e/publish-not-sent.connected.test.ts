import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStudio, type TestStudio } from "../testing/studio";

/**
 * A final call that never left (issue 7): Facebook's address refuses the connection when the
 * post falls due. That proves the platform never received the call, so the post is retried —
 * never `unconfirmed` — and goes out exactly once when Facebook is reachable again.
 */
describe("a final call refused at connect (connected)", () => {
  let s: TestStudio;
  let key: string;
  let facebookUrl: string;
  beforeAll(async () => {
    process.env.STUDIO_RETRY_BASE_MS = "200";
    s = await startTestStudio();
    ({ key } = await s.workspace());
    facebookUrl = process.env.STUDIO_FACEBOOK_API_URL as string;
  });
  afterAll(async () => {
    process.env.STUDIO_FACEBOOK_API_URL = facebookUrl;
    await s?.stop();
  });

  it("is retried as not sent, then published once", async () => {
    const acct = await s.connect(key, "facebook");
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((r) => closed.close(() => r()));
    process.env.STUDIO_FACEBOOK_API_URL = `http://127.0.0.1:${port}/facebook/v23.0`;

    const caption = `refused at connect ${Date.now()}`;
    const post = await s.schedule(key, acct.id, { caption, media: [] });
    const refused = await s.waitFor(key, post.id, (p) => p.lastError?.code === "platform.unreachable", 30_000);
    expect(refused.status).toBe("publishing");
    expect(refused.lastError?.message).toContain("not sent");

    process.env.STUDIO_FACEBOOK_API_URL = facebookUrl;
    const done = await s.waitFinal(key, post.id, 30_000);
    expect(done.status).toBe("published");
    expect(s.copies(caption)).toBe(1);
    expect(s.sims.control.journal({ caption })).toHaveLength(1);
  }, 90_000);
});
