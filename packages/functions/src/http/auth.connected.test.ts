import { connectedEnv } from "@studio/local/testing/connected";
import { beforeAll, describe, expect, it } from "vitest";
import { adminToken, call, image, newAccount, newKey, newWorkspace } from "./testing/client";

describe("auth and roles (connected)", () => {
  let owner: string;
  let editor: string;
  let viewer: string;
  let accountId: string;

  beforeAll(async () => {
    await connectedEnv();
    ({ ownerKey: owner } = await newWorkspace());
    editor = await newKey(owner, "editor");
    viewer = await newKey(owner, "viewer");
    accountId = await newAccount(owner);
  });

  it("answers 401 without a token, with an unknown one, or a malformed header", async () => {
    const cases: Record<string, string>[] = [
      {},
      { authorization: "Bearer sk_unknownunknownunknownunknown" },
      { authorization: "Basic abc" },
      { authorization: "Bearer" },
    ];
    for (const headers of cases) {
      const res = await call("GET", "/v1/workspace", { headers });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("auth.unauthorized");
      // Redaction of error bodies once turned "bearer token" into "Bearer [redacted]".
      expect(res.body.error.message).not.toContain("[redacted]");
    }
    const none = await call("GET", "/v1/workspace");
    expect(none.body.error.message).toContain("Authorization: Bearer <token>");
  });

  it("answers 403 for the admin token on workspace routes and for keys on admin routes", async () => {
    const ws = await call("GET", "/v1/workspace", { token: adminToken() });
    expect(ws.status).toBe(403);
    expect(ws.body.error.code).toBe("auth.forbidden");
    const posts = await call("GET", "/v1/posts", { token: adminToken() });
    expect(posts.status).toBe(403);

    for (const key of [owner, editor, viewer]) {
      expect((await call("POST", "/v1/workspaces", { token: key, body: { name: "x", timezone: "UTC" } })).status).toBe(
        403,
      );
      expect((await call("GET", "/v1/ops/queues", { token: key })).status).toBe(403);
    }
  });

  it("lets a viewer read but not write", async () => {
    expect((await call("GET", "/v1/workspace", { token: viewer })).status).toBe(200);
    expect((await call("GET", "/v1/accounts", { token: viewer })).status).toBe(200);
    expect((await call("GET", "/v1/posts", { token: viewer })).status).toBe(200);

    const draft = await call("POST", "/v1/posts", { token: editor, body: { accountId, caption: "hi", media: image } });
    expect(draft.status).toBe(201);
    const writes = [
      call("POST", "/v1/posts", { token: viewer, body: { accountId, caption: "hi", media: image } }),
      call("POST", `/v1/posts/${draft.body.id}/cancel`, { token: viewer }),
      call("POST", `/v1/posts/${draft.body.id}/schedule`, {
        token: viewer,
        body: { scheduledFor: new Date(Date.now() + 3_600_000).toISOString() },
      }),
      call("POST", "/v1/accounts", {
        token: viewer,
        body: { platform: "facebook", externalAccountId: "p1", handle: "p", accessToken: "t" },
      }),
      call("POST", "/v1/api-keys", { token: viewer, body: { name: "x", role: "viewer" } }),
    ];
    for (const res of await Promise.all(writes)) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("auth.forbidden");
    }
    expect((await call("GET", `/v1/posts/${draft.body.id}`, { token: viewer })).body.status).toBe("draft");
  });

  it("lets only owners create keys", async () => {
    expect((await call("POST", "/v1/api-keys", { token: editor, body: { name: "x", role: "viewer" } })).status).toBe(
      403,
    );
    const res = await call("POST", "/v1/api-keys", { token: owner, body: { name: "ci", role: "editor" } });
    expect(res.status).toBe(201);
    expect(res.body.apiKey).toMatch(/^sk_/);
    expect((await call("GET", "/v1/workspace", { token: res.body.apiKey })).status).toBe(200);
  });

  it("validates workspace creation, naming the bad fields", async () => {
    const res = await call("POST", "/v1/workspaces", {
      token: adminToken(),
      body: { name: "", timezone: "Mars/Olympus" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["name", "timezone"]);

    const ok = await call("POST", "/v1/workspaces", {
      token: adminToken(),
      body: { name: "Kiwi", timezone: "Pacific/Auckland", brandProfile: { tone: "warm" } },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.workspace).toMatchObject({
      name: "Kiwi",
      timezone: "Pacific/Auckland",
      brandProfile: { tone: "warm" },
    });
    const mine = await call("GET", "/v1/workspace", { token: ok.body.apiKey });
    expect(mine.body.id).toBe(ok.body.workspace.id);
    expect(mine.text).not.toContain(ok.body.apiKey);
  });

  it("serves health, the OpenAPI document and the docs page without a token", async () => {
    const health = await call("GET", "/health");
    expect(health.status).toBe(200);
    expect(health.body.status).toBe("ok");

    const doc = await call("GET", "/openapi.json");
    expect(doc.status).toBe(200);
    for (const path of [
      "/v1/workspaces",
      "/v1/workspace",
      "/v1/api-keys",
      "/v1/accounts",
      "/v1/accounts/{id}",
      "/v1/posts",
      "/v1/posts/{id}",
      "/v1/posts/{id}/schedule",
      "/v1/posts/{id}/move",
      "/v1/posts/{id}/cancel",
      "/v1/ops/queues",
      "/v1/ops/posts/{id}/settle",
      "/v1/ops/dlq/{queue}",
      "/v1/ops/dlq/{queue}/replay",
      "/health",
    ]) {
      expect(Object.keys(doc.body.paths)).toContain(path);
    }
    expect(doc.body.components.securitySchemes.bearerAuth.scheme).toBe("bearer");

    const docs = await call("GET", "/docs");
    expect(docs.status).toBe(200);
    expect(docs.text).toContain("/openapi.json");
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await call("GET", "/v1/nothing");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("route.not_found");
  });
});
