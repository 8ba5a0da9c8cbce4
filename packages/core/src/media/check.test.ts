import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PlatformError } from "../platform/errors";
import { checkMedia } from "./check";

/** A tiny media host: path → how it answers. Sizes are claimed, never allocated. */
const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  "/a.jpg": (_q, r) => r.writeHead(200, { "content-type": "image/jpeg", "content-length": 50_000 }).end(),
  "/a.png": (_q, r) => r.writeHead(200, { "content-type": "image/png", "content-length": 50_000 }).end(),
  "/big.jpg": (_q, r) => r.writeHead(200, { "content-type": "image/jpeg", "content-length": 9 * 1024 * 1024 }).end(),
  "/v.mp4": (_q, r) => r.writeHead(200, { "content-type": "video/mp4", "content-length": 3_000_000 }).end(),
  "/huge.mp4": (_q, r) =>
    r.writeHead(200, { "content-type": "video/mp4", "content-length": String(5 * 1024 ** 3) }).end(),
  "/page.mp4": (_q, r) => r.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(),
  "/bucket.mp4": (_q, r) =>
    r.writeHead(200, { "content-type": "application/octet-stream", "content-length": 10 }).end(),
  "/gone.jpg": (_q, r) => r.writeHead(404).end(),
  "/to-metadata.jpg": (_q, r) => r.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end(),
  "/private.jpg": (_q, r) => r.writeHead(403).end(),
  "/down.jpg": (_q, r) => r.writeHead(503, { "retry-after": "12" }).end(),
  "/slow.jpg": () => {},
  // HEAD refused: only a ranged GET tells the size.
  "/nohead.mp4": (q, r) => {
    if (q.method === "HEAD") return void r.writeHead(405).end();
    r.writeHead(206, {
      "content-type": "video/mp4",
      "content-range": `bytes 0-0/${5 * 1024 ** 3}`,
      "content-length": 1,
    });
    r.end("x");
  },
  "/nohead.jpg": (q, r) => {
    if (q.method === "HEAD") return void r.writeHead(405).end();
    r.writeHead(206, { "content-type": "image/jpeg", "content-range": "bytes 0-0/1000", "content-length": 1 });
    r.end("x");
  },
};

let server: Server;
let base: string;
const heads: string[] = [];

beforeAll(async () => {
  // The media host of this test lives on loopback, as the local runtime's does.
  process.env.STUDIO_OUTBOUND_ALLOW_PRIVATE = "1";
  server = createServer((req, res) => {
    heads.push(`${req.method} ${req.url}`);
    (routes[req.url ?? ""] ?? ((_q, r) => r.writeHead(404).end()))(req, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** Items name a path; the URL is built once the server listens. */
const img = (path: string) => ({ path, type: "image" as const });
const vid = (path: string) => ({ path, type: "video" as const });
const at = (items: readonly { path: string; type: "image" | "video" }[]) =>
  items.map((m) => ({ url: `${base}${m.path}`, type: m.type }));

describe("checkMedia", () => {
  it.each([
    ["instagram", [img("/a.jpg")]],
    ["instagram", [vid("/v.mp4")]],
    ["facebook", [img("/a.png")]],
    ["facebook", []],
    ["tiktok", [vid("/v.mp4")]],
    ["tiktok", [vid("/bucket.mp4")]],
    ["instagram", [img("/nohead.jpg")]],
  ] as const)("%s %o is fine", async (platform, media) => {
    expect(await checkMedia(platform, at(media))).toEqual({ ok: true });
  });

  it.each([
    ["instagram", img("/big.jpg"), "post.media_invalid", /9\.0 MB; Instagram accepts images up to 8\.0 MB/],
    ["instagram", img("/a.png"), "post.media_invalid", /image\/png; Instagram accepts JPEG images/],
    ["tiktok", vid("/huge.mp4"), "post.media_invalid", /5\.0 GB; TikTok accepts videos up to 4\.0 GB/],
    ["tiktok", vid("/nohead.mp4"), "post.media_invalid", /5\.0 GB/],
    ["facebook", vid("/page.mp4"), "post.media_invalid", /text\/html/],
    ["facebook", vid("/a.jpg"), "post.media_invalid", /added as a video but the file is an image/],
    ["facebook", img("/big.jpg"), "post.media_valid_size", undefined],
    ["tiktok", img("/a.jpg"), "post.media_invalid", /TikTok does not accept images/],
    ["instagram", img("/gone.jpg"), "post.media_unreachable", /not found \(HTTP 404\)/],
    ["instagram", img("/private.jpg"), "post.media_unreachable", /not public \(HTTP 403\)/],
  ] as const)("%s %o → %s", async (platform, item, code, message) => {
    const r = await checkMedia(platform, at([item]));
    if (code === "post.media_valid_size") return expect(r).toEqual({ ok: true });
    expect(r).toEqual({ ok: false, code, message: expect.stringMatching(message!) });
  });

  it("falls back to a ranged GET only when HEAD is refused", async () => {
    heads.length = 0;
    await checkMedia("tiktok", at([vid("/nohead.mp4")]));
    await checkMedia("tiktok", at([vid("/v.mp4")]));
    expect(heads).toEqual(["HEAD /nohead.mp4", "GET /nohead.mp4", "HEAD /v.mp4"]);
  });

  it("a media host that is down or slow is retryable, not a verdict on the post", async () => {
    const down = await checkMedia("instagram", at([img("/down.jpg")])).catch((e) => e);
    expect(down).toBeInstanceOf(PlatformError);
    expect([down.kind, down.code, down.retryAfterMs]).toEqual(["retryable", "media.host_unavailable", 12_000]);
    const slow = await checkMedia("instagram", at([img("/slow.jpg")]), { timeoutMs: 150 }).catch((e) => e);
    expect([slow.kind, slow.code]).toEqual(["retryable", "media.host_unavailable"]);
  });

  it("a host that refuses connections is retryable; a host that does not exist is unreachable", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = await checkMedia("instagram", [{ url: `http://127.0.0.1:${port}/a.jpg`, type: "image" }]).catch(
      (e) => e,
    );
    expect(refused.kind).toBe("retryable");
    const nxdomain = await checkMedia("instagram", [{ url: "http://no-such-host.invalid/a.jpg", type: "image" }]);
    expect(nxdomain).toEqual({
      ok: false,
      code: "post.media_unreachable",
      message: expect.stringMatching(/does not exist/),
    });
  });

  it("never echoes a query string (signatures, tokens) in its message", async () => {
    const r = await checkMedia("instagram", at([img("/gone.jpg?X-Amz-Signature=abc&access_token=secret")]));
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toMatch(/secret|abc/);
  });

  it("rejects links that are not http(s)", async () => {
    expect(await checkMedia("instagram", [{ url: "ftp://x/a.jpg", type: "image" }])).toMatchObject({
      ok: false,
      code: "post.media_invalid",
    });
  });

  it("refuses an internal address under the production rule: no request sent, nothing learned", async () => {
    process.env.STUDIO_OUTBOUND_ALLOW_PRIVATE = "0";
    process.env.STUDIO_OUTBOUND_PORTS = new URL(base).port;
    try {
      heads.length = 0;
      const r = await checkMedia("instagram", at([img("/a.jpg")]));
      expect(r).toEqual({ ok: false, code: "post.media_invalid", message: expect.stringMatching(/public address/) });
      expect(heads).toEqual([]);
    } finally {
      process.env.STUDIO_OUTBOUND_ALLOW_PRIVATE = "1";
      delete process.env.STUDIO_OUTBOUND_PORTS;
    }
  });

  it("a redirect to the metadata service is refused and the answer is not echoed", async () => {
    const r = await checkMedia("instagram", at([img("/to-metadata.jpg")]));
    expect(r).toEqual({ ok: false, code: "post.media_invalid", message: expect.any(String) });
    expect(JSON.stringify(r)).not.toMatch(/169\.254|302|meta-data/);
  });
});
