import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connectedEnv } from "@studio/local/testing/connected";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, fromNow, HOUR, newAccount, newWorkspace } from "./testing/client";

/**
 * Issue 8, part 1 at the API: the media links of the probes are refused when the post
 * is created (and when it is scheduled), under production's rule, and nothing is ever sent to
 * them: a listener on loopback counts the requests it receives.
 */
describe("media links only to public addresses (connected)", () => {
  let key: string;
  let accountId: string;
  let listener: Server;
  let port: number;
  const received: string[] = [];

  beforeAll(async () => {
    await connectedEnv();
    process.env.STUDIO_OUTBOUND_ALLOW_PRIVATE = "0";
    ({ ownerKey: key } = await newWorkspace("SSRF"));
    accountId = await newAccount(key);
    listener = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      res.writeHead(200, { "content-type": "image/jpeg", "content-length": "10" }).end();
    });
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    port = (listener.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => listener.close(r));
  });

  const probes = () => [
    `http://127.0.0.1:${port}/x.jpg`,
    "http://127.0.0.1/x.jpg",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/x.jpg",
    `http://[::1]:${port}/x.jpg`,
    "http://[::ffff:127.0.0.1]/x.jpg",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://0x7f000001/x.jpg",
    "http://2130706433/x.jpg",
    "http://0177.0.0.1/x.jpg",
    "http://localhost:22/x.jpg",
    `http://localhost:${port}/x.jpg`,
    "http://user:pass@10.0.0.1/x.jpg",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://100.100.100.200/latest/meta-data/",
  ];

  it("each probe is a 400 post.media_invalid at creation, naming the item; nothing is sent", async () => {
    for (const url of probes()) {
      const res = await call("POST", "/v1/posts", {
        token: key,
        body: { accountId, caption: "probe", media: [{ url, type: "image" }] },
      });
      expect(res.status, url).toBe(400);
      expect(res.body.error.code, url).toBe("post.media_invalid");
      expect(res.body.error.details, url).toEqual([{ path: "media.0.url", message: expect.any(String) }]);
    }
    // A URL that is not even http(s) is refused by the schema first.
    const ssh = await call("POST", "/v1/posts", {
      token: key,
      body: { accountId, caption: "probe", media: [{ url: "localhost:22", type: "image" }] },
    });
    expect(ssh.status).toBe(400);
    expect(received).toEqual([]);
  });

  it("a post stored while private links were allowed is refused when scheduled under the production rule", async () => {
    process.env.STUDIO_OUTBOUND_ALLOW_PRIVATE = "1";
    const draft = await call("POST", "/v1/posts", {
      token: key,
      body: { accountId, caption: "stored", media: [{ url: `http://127.0.0.1:${port}/x.jpg`, type: "image" }] },
    });
    process.env.STUDIO_OUTBOUND_ALLOW_PRIVATE = "0";
    expect(draft.status).toBe(201);
    const res = await call("POST", `/v1/posts/${draft.body.id}/schedule`, {
      token: key,
      body: { scheduledFor: fromNow(2 * HOUR) },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("post.media_invalid");
    expect((await call("GET", `/v1/posts/${draft.body.id}`, { token: key })).body.status).toBe("draft");
    expect(received).toEqual([]);
  });

  it("an edit that swaps in an internal link is a 400 and leaves the post as it was", async () => {
    const created = await call("POST", "/v1/posts", {
      token: key,
      body: { accountId, caption: "edit", media: [{ url: "https://cdn.example.com/a.jpg", type: "image" }] },
    });
    expect(created.status).toBe(201);
    for (const url of [`http://127.0.0.1:${port}/x.jpg`, "http://[::1]/x.jpg", "http://u:p@cdn.example.com/a.jpg"]) {
      const res = await call("PATCH", `/v1/posts/${created.body.id}`, {
        token: key,
        body: { media: [{ url, type: "image" }], version: created.body.version },
      });
      expect(res.status, url).toBe(400);
      expect(res.body.error.code, url).toBe("post.media_invalid");
    }
    const after = await call("GET", `/v1/posts/${created.body.id}`, { token: key });
    expect(after.body.media).toEqual([{ url: "https://cdn.example.com/a.jpg", type: "image" }]);
    expect(received).toEqual([]);
  });

  it("a public link is accepted", async () => {
    const res = await call("POST", "/v1/posts", {
      token: key,
      body: { accountId, caption: "ok", media: [{ url: "https://cdn.example.com/a.jpg", type: "image" }] },
    });
    expect(res.status).toBe(201);
  });
});
