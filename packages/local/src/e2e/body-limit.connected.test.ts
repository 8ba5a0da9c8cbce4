import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { app } from "@studio/functions/http/app";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectedEnv } from "../testing/connected";

/**
 * Issue 8: "a 200 MB body with a writer key is read whole". Over a real socket, through the
 * Node server the local runtime uses: the API answers 413 while the client is still sending,
 * and the client stops long before 200 MB.
 */
describe("request bodies are limited while they stream in (connected)", () => {
  let server: ReturnType<typeof serve>;
  let port: number;

  beforeAll(async () => {
    await connectedEnv();
    server = await new Promise((ok) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => ok(s));
    });
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise((ok) => server.close(ok));
  });

  /** Sends up to `total` bytes of a JSON string in 64 KB chunks; stops when the answer comes. */
  function send(total: number, declareLength: boolean) {
    return new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
      const chunk = Buffer.alloc(64 * 1024, "x");
      let sent = 0;
      let answered = false;
      const req = request({
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/v1/posts",
        headers: {
          authorization: "Bearer not-checked-before-the-size",
          "content-type": "application/json",
          ...(declareLength ? { "content-length": String(total) } : {}),
        },
      });
      req.on("response", (res) => {
        answered = true;
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, body, sent });
          req.destroy();
        });
      });
      req.on("error", (err) => (answered ? undefined : reject(err)));
      const pump = () => {
        while (!answered && sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        if (!answered) req.end();
      };
      pump();
    });
  }

  it("a chunked 200 MB body is cut off at the route's limit: 413 before the client has sent it", async () => {
    const res = await send(200 * 1024 * 1024, false);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe("request.too_large");
    // The server stopped reading at 512 KB; socket buffers let the client get a little further.
    expect(res.sent).toBeLessThan(50 * 1024 * 1024);
  });

  it("a declared Content-Length of 200 MB is refused before the body is read", async () => {
    const res = await send(200 * 1024 * 1024, true);
    expect(res.status).toBe(413);
    expect(res.sent).toBeLessThan(50 * 1024 * 1024);
  });
});
