import { db } from "@studio/core/db/service";
import { connectedEnv } from "@studio/local/testing/connected";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "./app";
import { openApiDocument } from "./openapi";
import { adminToken, call, DAY, fromNow, newAccount, newKey, newWorkspace, video } from "./testing/client";

/**
 * Every list route that takes `?cursor=` (derived from the OpenAPI document, so a new list is
 * covered the day it is added) answers a cursor it did not issue with 400 `validation_failed`
 * on `cursor`, never a 5xx; and its own `nextCursor` still leads to page 2. Regression of CI's
 * fuzz find `GET /v1/competitors?cursor=%20` → 500 (ElectroDB: "Unable to parse cursor").
 */
const doc = openApiDocument(app);
const METHODS = ["get", "post", "put", "patch", "delete"] as const;
type Op = { path: string; pathParams: string[] };
const cursorRoutes: Op[] = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
  METHODS.flatMap((m) => {
    const op = (item as Record<string, { parameters?: { name: string; in: string }[] } | undefined>)[m];
    const params = op?.parameters ?? [];
    if (!params.some((p) => p.in === "query" && p.name === "cursor")) return [];
    expect(m, `${path}: a cursor on a ${m}`).toBe("get");
    return [{ path, pathParams: params.filter((p) => p.in === "path").map((p) => p.name) }];
  }),
);

const b64 = (s: string) => Buffer.from(s).toString("base64url");

describe("cursors on every list route (connected)", () => {
  let workspaceId: string;
  let owner: string;
  const ids: Record<string, string> = {};
  /** A real `nextCursor` of each route, from page 1 of 1-item pages. */
  const firstPages: Record<string, { cursor: string; ids: string[] }> = {};

  /** The route with its path parameters filled by real resources (so it gets past its 404). */
  const url = (op: Op) => {
    let path = op.path;
    for (const name of op.pathParams) {
      const key = name === "id" ? (op.path.split("/")[2] as string) : name;
      const value = ids[key];
      if (!value) throw new Error(`${op.path}: no resource for {${name}}; give it one in this test's beforeAll`);
      path = path.replace(`{${name}}`, value);
    }
    return path;
  };
  const tokenFor = (op: Op) => (op.path.startsWith("/v1/workspaces/") ? adminToken() : owner);
  const list = (op: Op, query: string) => call("GET", `${url(op)}?${query}`, { token: tokenFor(op) });
  const idsOf = (body: { items: Array<Record<string, unknown>> }) =>
    body.items.map((i) => String(i.id ?? i.capturedAt ?? JSON.stringify(i)));

  beforeAll(async () => {
    await connectedEnv();
    const ws = await newWorkspace("Cursors");
    workspaceId = ws.workspaceId;
    owner = ws.ownerKey;
    ids.workspaceId = workspaceId;
    await newKey(owner, "viewer"); // two keys
    const tiktok = await newAccount(owner, { platform: "tiktok" });
    await newAccount(owner, { platform: "facebook" }); // two accounts
    const posts = await Promise.all(
      [1, 2].map(() =>
        call("POST", "/v1/posts", { token: owner, body: { accountId: tiktok, caption: "a", media: video } }),
      ),
    );
    for (const p of posts) expect(p.status, p.text).toBe(201);
    const post = posts[0]?.body;
    ids.posts = post.id;
    // Two caption edits.
    const e1 = await call("PATCH", `/v1/posts/${post.id}`, {
      token: owner,
      body: { caption: "b", version: post.version },
    });
    expect(e1.status, e1.text).toBe(200);
    const e2 = await call("PATCH", `/v1/posts/${post.id}`, {
      token: owner,
      body: { caption: "c", version: e1.body.version },
    });
    expect(e2.status, e2.text).toBe(200);
    for (const handle of ["rival_one", "rival_two"]) {
      const c = await call("POST", "/v1/competitors", { token: owner, body: { platform: "instagram", handle } });
      expect(c.status, c.text).toBe(201);
      ids.competitors ??= c.body.id;
    }
    for (const name of ["Launch", "Sale"]) {
      const c = await call("POST", "/v1/campaigns", {
        token: owner,
        body: { name, goal: "awareness", startsOn: fromNow(DAY).slice(0, 10), endsOn: fromNow(8 * DAY).slice(0, 10) },
      });
      expect(c.status, c.text).toBe(201);
    }
    for (const notes of ["one", "two"]) {
      const p = await call("POST", "/v1/plans", { token: owner, body: { notes } });
      expect(p.status, p.text).toBe(202);
    }
    // Two snapshots of the post and of the competitor, as the refresh jobs write them.
    const at = (h: number) => new Date(Date.UTC(2026, 10, 1, h)).toISOString();
    for (const h of [1, 2]) {
      await db()
        .entities.postMetrics.create({
          postId: post.id,
          slot: at(h),
          workspaceId,
          accountId: tiktok,
          platform: "tiktok",
          capturedAt: at(h),
          runId: `run${h}`,
          values: { views: h },
        })
        .go();
      await db()
        .entities.competitorMetrics.create({
          competitorId: ids.competitors as string,
          workspaceId,
          slot: at(h),
          runId: `run${h}`,
          capturedAt: at(h),
          values: { followers: h },
        })
        .go();
    }
    for (const op of cursorRoutes) {
      const res = await list(op, "limit=1");
      expect(res.status, `${op.path}: ${res.text}`).toBe(200);
      expect(res.body.nextCursor, `${op.path} has a second page`).toEqual(expect.any(String));
      firstPages[op.path] = { cursor: res.body.nextCursor, ids: idsOf(res.body) };
    }
  });

  it("finds every list route of the document, the competitors' among them", () => {
    const paths = cursorRoutes.map((o) => o.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/v1/competitors",
        "/v1/competitors/{id}/metrics",
        "/v1/posts",
        "/v1/posts/{id}/metrics",
        "/v1/posts/{id}/edits",
      ]),
    );
    expect(paths.length).toBeGreaterThanOrEqual(8);
  });

  it.each(cursorRoutes.map((o) => [o.path, o] as const))("%s: page 2 from page 1's nextCursor", async (_, op) => {
    const first = firstPages[op.path] as { cursor: string; ids: string[] };
    const res = await list(op, `limit=1&cursor=${encodeURIComponent(first.cursor)}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.items).toHaveLength(1);
    expect(idsOf(res.body)).not.toEqual(first.ids);
  });

  it.each(cursorRoutes.map((o) => [o.path, o] as const))("%s: a cursor it did not issue is a 400", async (_, op) => {
    // A real cursor of another list (another entity, partition or index).
    const family = (p: string) => p.replace("/v1/workspaces/{workspaceId}", "/v1").split("/")[2];
    const other = cursorRoutes.find((o) => family(o.path) !== family(op.path));
    const hostile: Record<string, string> = {
      blank: " ",
      letter: "x",
      percents: "%%%",
      "json null": b64("null"),
      "json array": b64("[]"),
      "json string": b64('"s"'),
      "empty object": b64("{}"),
      "number keys": b64('{"pk":1,"sk":2}'),
      "unknown attributes": b64('{"a":"b","c":"d"}'),
      "another partition": b64('{"pk":"$studio#other_x","sk":"y"}'),
      "another workspace's key": b64(`{"pk":"$studio#workspaceid_${workspaceId}x","sk":"$competitor_1#id_x"}`),
      "padded base64": `${b64('{"pk":"a","sk":"b"}')}==`,
      "3 KB": "A".repeat(3000),
      "another list's cursor": firstPages[(other as Op).path]?.cursor as string,
    };
    const failures: string[] = [];
    for (const [name, cursor] of Object.entries(hostile)) {
      const res = await list(op, `cursor=${encodeURIComponent(cursor)}`);
      const ok =
        res.status === 400 &&
        res.body?.error?.code === "validation_failed" &&
        res.body.error.details?.some((d: { path: string }) => d.path === "cursor");
      if (!ok) failures.push(`${name}: ${res.status} ${res.text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
  });
});
