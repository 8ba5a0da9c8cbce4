import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Post, startTestStudio, type TestStudio } from "../testing/studio";

/**
 * Issue 8, part 1 through the whole pipeline (API → dispatcher → SQS → publish worker → media
 * check): a media link that is refused only when the worker connects fails the post with
 * `post.media_invalid` and a reason that says nothing about the target — no address, port,
 * status code or content type — and nothing is sent to it nor published.
 */
describe("media links at publish time (connected)", () => {
  let s: TestStudio;
  let key: string;
  let listener: Server;
  let base: string;
  const received: string[] = [];

  beforeAll(async () => {
    s = await startTestStudio();
    ({ key } = await s.workspace());
    listener = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      if (req.url === "/to-metadata.jpg")
        return void res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end();
      res.writeHead(200, { "content-type": "image/jpeg", "content-length": "5000" }).end();
    });
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    process.env.STUDIO_OUTBOUND_ALLOW_PRIVATE = "1";
    await new Promise((r) => listener.close(r));
    await s?.stop();
  });

  const draft = async (accountId: string, caption: string, url: string) => {
    const res = await s.api<Post>("POST", "/v1/posts", { accountId, caption, media: [{ url, type: "image" }] }, key);
    expect(res.status).toBe(201);
    return res.body.id;
  };
  const at = (ms: number) => ({ scheduledFor: new Date(Date.now() + ms).toISOString() });
  const revealsNothing = (p: Post) => {
    expect(p.lastError?.code).toBe("post.media_invalid");
    expect(p.lastError?.message).not.toMatch(/127\.0\.0\.1|169\.254|:\d{2,5}\b|HTTP|\b[1-5]\d\d\b|image\/|meta-data/);
  };

  it("a link that became internal after it was scheduled: refused at connect, nothing sent", async () => {
    const acct = await s.connect(key, "instagram");
    // Accepted while private links are allowed (the local rule), due in an hour: nothing can run yet.
    const id = await draft(acct.id, "ssrf later", `${base}/a.jpg`);
    expect((await s.api("POST", `/v1/posts/${id}/schedule`, at(3_600_000), key)).status).toBe(200);
    // From now on, production's rule (with the listener's port allowed, so that the address is
    // what is refused); then the post becomes due.
    process.env.STUDIO_OUTBOUND_ALLOW_PRIVATE = "0";
    process.env.STUDIO_OUTBOUND_PORTS = new URL(base).port;
    try {
      // A 1 s lead that cannot race the API on a busy machine (400 schedule_in_past: tried again).
      await s.scheduleIn(key, id, 1_000, "move");
      const done = await s.waitFinal(key, id);
      expect(done.status).toBe("failed");
      revealsNothing(done);
      expect(done.lastError?.message).toMatch(/public address/);
    } finally {
      process.env.STUDIO_OUTBOUND_ALLOW_PRIVATE = "1";
      delete process.env.STUDIO_OUTBOUND_PORTS;
    }
    expect(received).toEqual([]);
    expect(s.copies("ssrf later")).toBe(0);
  });

  it("a redirect to the metadata service is not followed, even under the local rule", async () => {
    const acct = await s.connect(key, "instagram");
    const id = await draft(acct.id, "ssrf redirect", `${base}/to-metadata.jpg`);
    await s.scheduleIn(key, id, 1_000);
    const done = await s.waitFinal(key, id);
    expect(done.status).toBe("failed");
    revealsNothing(done);
    expect(received).toEqual(["HEAD /to-metadata.jpg"]);
    expect(s.copies("ssrf redirect")).toBe(0);
  });
});
