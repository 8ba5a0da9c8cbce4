import { OpenAPIHono } from "@hono/zod-openapi";
import { db } from "@studio/core/db/service";
import { logger } from "@studio/core/util/logger";
import { connectedEnv } from "@studio/local/testing/connected";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { onError } from "./errors";
import { adminToken, call, image, newWorkspace } from "./testing/client";

/**
 * api.md: no response body and no log line ever contains a platform token or an API key after
 * its creation response. Everything the process writes is captured during a whole session.
 */
describe("secrets never leak (connected)", () => {
  const written: string[] = [];
  const responses: string[] = [];
  const accessToken = "IGQVJ-live-access-token-7f3a9c";
  const refreshToken = "IGQVJ-live-refresh-token-b21e44";
  const newAccess = "IGQVJ-rotated-access-token-c0ffee";
  let ownerKey: string;
  let editorKey: string;

  const level = logger.getLevelName();
  beforeAll(async () => {
    await connectedEnv();
    logger.setLogLevel("DEBUG");
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      vi.spyOn(stream, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
        written.push(String(chunk));
        return original(chunk as string, ...(rest as []));
      }) as never);
    }
  });

  afterAll(() => {
    vi.restoreAllMocks();
    logger.setLogLevel(level);
  });

  const record = async (...args: Parameters<typeof call>) => {
    const res = await call(...args);
    responses.push(res.text);
    return res;
  };

  it("runs a session that handles tokens and keys everywhere", async () => {
    ({ ownerKey } = await newWorkspace("Secrets"));
    const key = await call("POST", "/v1/api-keys", { token: ownerKey, body: { name: "editor", role: "editor" } });
    editorKey = key.body.apiKey;

    const connect = await record("POST", "/v1/accounts", {
      token: editorKey,
      body: { platform: "instagram", externalAccountId: "1784", handle: "acme", accessToken, refreshToken },
    });
    expect(connect.status).toBe(201);
    const again = await record("POST", "/v1/accounts", {
      token: ownerKey,
      body: { platform: "instagram", externalAccountId: "1784", handle: "acme", accessToken: newAccess },
    });
    expect(again.body.id).toBe(connect.body.id);
    await record("GET", "/v1/accounts", { token: editorKey });
    await record("GET", `/v1/accounts/${connect.body.id}`, { token: editorKey });
    await record("GET", "/v1/workspace", { token: ownerKey });

    // Error paths that could echo what they were given.
    await record("POST", "/v1/accounts", {
      token: editorKey,
      body: { platform: "nope", externalAccountId: "1", handle: "x", accessToken, refreshToken },
    });
    await record("POST", "/v1/accounts", { token: editorKey, rawBody: `{"accessToken":"${accessToken}"` });
    await record("GET", "/v1/workspace", { token: `${ownerKey}x` });
    await record("GET", "/v1/ops/queues", { token: ownerKey });
    await record("POST", "/v1/workspaces", { token: editorKey, body: { name: "x", timezone: "UTC" } });

    // A post whose lastError echoes a platform URL with the token (as a worker might store it).
    const post = await record("POST", "/v1/posts", {
      token: editorKey,
      body: { accountId: connect.body.id, caption: "hi", media: image },
    });
    await db()
      .entities.post.patch({ id: post.body.id })
      .set({
        status: "failed",
        lastError: {
          code: "platform.error",
          message: `POST https://graph.instagram.com/v23.0/1784/media?access_token=${newAccess} → 400`,
        },
      })
      .go();
    const failed = await record("GET", `/v1/posts/${post.body.id}`, { token: editorKey });
    expect(failed.body.lastError.message).toContain("access_token=[redacted]");
    await record("GET", "/v1/posts", { token: editorKey });
  });

  it("redacts an unknown error that echoes a platform URL: generic 500, redacted log", async () => {
    const boom = new OpenAPIHono();
    boom.get("/boom", () => {
      throw new Error(
        `GET https://graph.facebook.com/v23.0/me/accounts?access_token=${accessToken}&fields=id failed: {"refresh_token":"${refreshToken}"}`,
      );
    });
    boom.onError(onError);
    const res = await boom.request("/boom");
    const text = await res.text();
    responses.push(text);
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toEqual({
      error: { code: "internal", message: expect.any(String), details: null },
    });
    expect(text).not.toMatch(/graph\.facebook|\.ts:\d+|at /);
    const line = written.find((l) => l.includes("graph.facebook.com"));
    expect(line).toBeDefined();
    expect(line).toContain("access_token=[redacted]");
  });

  it("never wrote or answered a token or a key after its creation", () => {
    const logs = written.join("");
    expect(logs).toContain('"message":"request"');
    for (const secret of [accessToken, refreshToken, newAccess, ownerKey, editorKey, adminToken()]) {
      expect(logs).not.toContain(secret);
      for (const body of responses) expect(body).not.toContain(secret);
    }
  });
});
