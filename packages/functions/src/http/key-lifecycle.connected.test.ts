import * as ApiKey from "@studio/core/api-key/api-key";
import { keyCache } from "@studio/core/api-key/key-cache";
import { hashApiKey } from "@studio/core/crypto/secrets";
import { dynamo } from "@studio/core/db/client";
import { db } from "@studio/core/db/service";
import { connectedEnv } from "@studio/local/testing/connected";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken, call, newKey, newWorkspace } from "./testing/client";

const saved = process.env.STUDIO_RATE_LIMIT_PER_KEY;

describe("API key lifecycle (connected)", () => {
  let owner: string;
  let workspaceId: string;
  let other: string;

  beforeAll(async () => {
    await connectedEnv();
    process.env.STUDIO_RATE_LIMIT_PER_KEY = "0";
    ({ ownerKey: owner, workspaceId } = await newWorkspace("Keys"));
    ({ ownerKey: other } = await newWorkspace("Other keys"));
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.STUDIO_RATE_LIMIT_PER_KEY;
    else process.env.STUDIO_RATE_LIMIT_PER_KEY = saved;
  });

  const keyId = async (key: string) => {
    const list = await call("GET", "/v1/api-keys?limit=200", { token: owner });
    return list.body.items.find((k: { prefix: string }) => key.startsWith(k.prefix) && key.slice(0, 7) === k.prefix)
      ?.id as string;
  };

  it("lists the workspace's keys without the secret, to the owner only", async () => {
    const editor = await newKey(owner, "editor");
    const list = await call("GET", "/v1/api-keys", { token: owner });
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThanOrEqual(2);
    for (const k of list.body.items) {
      expect(Object.keys(k).sort()).toEqual(
        ["createdAt", "id", "name", "prefix", "replacedBy", "revokedAt", "role", "status"].sort(),
      );
    }
    expect(list.text).not.toContain(owner);
    expect(list.text).not.toContain(editor);
    expect(list.text).not.toContain(hashApiKey(owner));
    const asEditor = await call("GET", "/v1/api-keys", { token: editor });
    expect(asEditor.status).toBe(403);
    const asAdmin = await call("GET", "/v1/api-keys", { token: adminToken() });
    expect(asAdmin.status).toBe(403);
  });

  it("revokes a key: refused at once (401), idempotent, and another workspace's id is 404", async () => {
    const viewer = await newKey(owner, "viewer");
    expect((await call("GET", "/v1/workspace", { token: viewer })).status).toBe(200); // now cached
    const id = await keyId(viewer);
    const revoked = await call("POST", `/v1/api-keys/${id}/revoke`, { token: owner });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id, status: "revoked" });
    const after = await call("GET", "/v1/workspace", { token: viewer });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("auth.unauthorized");
    const again = await call("POST", `/v1/api-keys/${id}/revoke`, { token: owner });
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);

    for (const path of [`/v1/api-keys/${id}/revoke`, `/v1/api-keys/${id}/rotate`, "/v1/api-keys/key_unknown/revoke"]) {
      const res = await call("POST", path, { token: other });
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe("api_key.not_found");
    }
  });

  it("rotates a key: a new one shown once, the old one accepted for the grace period only", async () => {
    const editor = await newKey(owner, "editor");
    const id = await keyId(editor);
    const res = await call("POST", `/v1/api-keys/${id}/rotate`, { token: owner, body: { graceSeconds: 3600 } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: "editor", role: "editor", replaces: { id } });
    const fresh = res.body.apiKey as string;
    expect((await call("GET", "/v1/workspace", { token: fresh })).status).toBe(200);
    expect((await call("GET", "/v1/workspace", { token: editor })).status).toBe(200); // in grace

    const graceEnd = Date.parse(res.body.replaces.revokedAt);
    expect(await ApiKey.authenticate(editor, graceEnd - 1000)).toMatchObject({ kind: "key", keyId: id });
    expect(await ApiKey.authenticate(editor, graceEnd)).toBeUndefined();

    const listed = await call("GET", "/v1/api-keys?limit=200", { token: owner });
    const old = listed.body.items.find((k: { id: string }) => k.id === id);
    expect(old).toMatchObject({ status: "expiring", replacedBy: res.body.id });

    // A key already rotated cannot be rotated again (two rotations never both win).
    const twice = await call("POST", `/v1/api-keys/${id}/rotate`, { token: owner });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe("api_key.revoked");
  });

  it("rotates with the default grace without a body, and refuses a bad grace", async () => {
    const key = await newKey(owner, "viewer");
    const id = await keyId(key);
    for (const body of [{ graceSeconds: -1 }, { graceSeconds: 8 * 86400 }, { graceSeconds: "1h" }, { other: 1 }]) {
      const bad = await call("POST", `/v1/api-keys/${id}/rotate`, { token: owner, body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.error.code).toBe("validation_failed");
    }
    const ok = await call("POST", `/v1/api-keys/${id}/rotate`, { token: owner });
    expect(ok.status).toBe(201);
    const grace = Date.parse(ok.body.replaces.revokedAt) - Date.now();
    expect(grace).toBeGreaterThan(23 * 3600_000);
    expect(grace).toBeLessThanOrEqual(24 * 3600_000);
  });

  it("lets the admin list, create, revoke and rotate a workspace's keys", async () => {
    const admin = adminToken();
    const created = await call("POST", `/v1/workspaces/${workspaceId}/api-keys`, {
      token: admin,
      body: { name: "recovery", role: "owner" },
    });
    expect(created.status).toBe(201);
    const recovery = created.body.apiKey as string;
    expect((await call("GET", "/v1/workspace", { token: recovery })).body.id).toBe(workspaceId);

    const list = await call("GET", `/v1/workspaces/${workspaceId}/api-keys`, { token: admin });
    expect(list.body.items.map((k: { id: string }) => k.id)).toContain(created.body.id);
    expect(list.text).not.toContain(recovery);

    const rotated = await call("POST", `/v1/workspaces/${workspaceId}/api-keys/${created.body.id}/rotate`, {
      token: admin,
      body: { graceSeconds: 0 },
    });
    expect(rotated.status).toBe(201);
    expect((await call("GET", "/v1/workspace", { token: recovery })).status).toBe(401); // no grace
    const revoked = await call("POST", `/v1/workspaces/${workspaceId}/api-keys/${rotated.body.id}/revoke`, {
      token: admin,
    });
    expect(revoked.body.status).toBe("revoked");
    expect((await call("GET", "/v1/workspace", { token: rotated.body.apiKey })).status).toBe(401);

    expect((await call("GET", "/v1/workspaces/ws_unknown/api-keys", { token: admin })).status).toBe(404);
    const foreign = await call("POST", `/v1/workspaces/ws_unknown/api-keys/${created.body.id}/revoke`, {
      token: admin,
    });
    expect(foreign.status).toBe(404);
    expect((await call("GET", `/v1/workspaces/${workspaceId}/api-keys`, { token: owner })).status).toBe(403);
  });

  it("caches key lookups: one read for many requests; a revocation elsewhere holds within the TTL", async () => {
    const viewer = await newKey(owner, "viewer");
    keyCache.clear();
    let gets = 0;
    dynamo().middlewareStack.add(
      (next, context) => async (args) => {
        if (
          /^Get(Item)?Command$/.test(String(context.commandName)) &&
          JSON.stringify(args.input).includes(hashApiKey(viewer))
        )
          gets++;
        return next(args);
      },
      { step: "initialize", name: "countKeyReads" },
    );
    try {
      for (let i = 0; i < 10; i++) expect((await call("GET", "/v1/workspace", { token: viewer })).status).toBe(200);
    } finally {
      dynamo().middlewareStack.remove("countKeyReads");
    }
    expect(gets).toBe(1);

    // Revoked by another instance (straight in the table, this instance's cache untouched).
    const t = Date.now();
    await db()
      .entities.apiKey.patch({ keyHash: hashApiKey(viewer) })
      .set({ revokedAt: new Date(t + 60_000).toISOString() })
      .go();
    keyCache.clear();
    expect(await ApiKey.authenticate(viewer, t)).toBeDefined(); // cached with revokedAt in a minute
    await db()
      .entities.apiKey.patch({ keyHash: hashApiKey(viewer) })
      .set({ revokedAt: new Date(t).toISOString() })
      .go();
    expect(await ApiKey.authenticate(viewer, t + 1000)).toBeDefined(); // stale cache: still in
    expect(await ApiKey.authenticate(viewer, t + 31_000)).toBeUndefined(); // past the 30 s TTL: refused
  });
});
