import { dynamo } from "@studio/core/db/client";
import { db } from "@studio/core/db/service";
import type { PostItem } from "@studio/core/post/post";
import { MAX_ITEMS_READ } from "@studio/core/util/bounded-page";
import { connectedEnv } from "@studio/local/testing/connected";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { call, DAY, newAccount, newWorkspace } from "./testing/client";

/** Every Query the API makes while `fn` runs: its index, partition value and items read. */
async function queriesDuring<T>(fn: () => Promise<T>) {
  const seen: { index: string; partition: string; scanned: number }[] = [];
  const name = `probe${Math.random().toString(36).slice(2)}`;
  dynamo().middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (context.commandName === "QueryCommand") {
        const input = args.input as { IndexName?: string; ExpressionAttributeValues?: Record<string, unknown> };
        seen.push({
          index: input.IndexName ?? "table",
          partition: String(input.ExpressionAttributeValues?.[":pk"] ?? ""),
          scanned: (out.output as { ScannedCount?: number }).ScannedCount ?? 0,
        });
      }
      return out;
    },
    { step: "initialize", name },
  );
  try {
    return { result: await fn(), queries: seen };
  } finally {
    dynamo().middlewareStack.remove(name);
  }
}

let seq = 0;
/** `n` posts written straight to the table (batch writes), like the API would store them. */
async function seedPosts(workspaceId: string, accountId: string, n: number, over: (i: number) => Partial<PostItem>) {
  const at = new Date().toISOString();
  const items: PostItem[] = Array.from({ length: n }, (_, i) => {
    seq += 1;
    const extra = over(i);
    return {
      id: `post_seed${String(seq).padStart(8, "0")}`,
      workspaceId,
      accountId,
      platform: "facebook",
      caption: "seeded",
      media: [],
      status: "draft",
      version: 1,
      calendarAt: extra.scheduledFor ?? "9999-12-31T23:59:59.999Z",
      attempts: 0,
      createdAt: at,
      updatedAt: at,
      ...extra,
    } as PostItem;
  });
  const { unprocessed } = await db().entities.post.put(items).go();
  expect(unprocessed).toEqual([]);
  return items;
}

describe("bounded reads (connected)", () => {
  let owner: string;
  let workspaceId: string;
  let account: string;

  beforeAll(async () => {
    await connectedEnv();
    ({ ownerKey: owner, workspaceId } = await newWorkspace("Bounded"));
    account = await newAccount(owner, { platform: "facebook" });
  });

  afterEach(() =>
    expect(
      dynamo()
        .middlewareStack.identify()
        .some((m) => m.startsWith("probe")),
    ).toBe(false),
  );

  it("a status filter that matches nothing reads at most one page's worth per request, and the cursor goes on", async () => {
    // 450 drafts planned over the next days, one published post after all of them.
    const base = Date.now() + DAY;
    await seedPosts(workspaceId, account, 450, (i) => ({ scheduledFor: new Date(base + i * 60_000).toISOString() }));
    const [late] = await seedPosts(workspaceId, account, 1, () => ({
      status: "published",
      scheduledFor: new Date(base + 600 * 60_000).toISOString(),
      externalPostId: "123_456",
    }));

    let cursor: string | null = null;
    const found: string[] = [];
    let requests = 0;
    do {
      const path: string = `/v1/posts?status=published&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const { result: res, queries } = await queriesDuring(() => call("GET", path, { token: owner }));
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(1);
      const scanned = queries.reduce((s, q) => s + q.scanned, 0);
      expect(scanned, "items read by one request").toBeLessThanOrEqual(MAX_ITEMS_READ);
      found.push(...res.body.items.map((p: { id: string }) => p.id));
      cursor = res.body.nextCursor;
      requests += 1;
    } while (cursor && requests < 20);
    expect(found).toEqual([late?.id]);
    expect(requests).toBeGreaterThanOrEqual(3); // 451 items, at most 200 read per request
  });

  it("pages of a filtered list hold exactly `limit` items when enough match, and resume without a gap", async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/v1/posts?status=draft&limit=70${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const res = await call("GET", path, { token: owner });
      expect(res.status).toBe(200);
      if (res.body.nextCursor && res.body.items.length) expect(res.body.items.length).toBe(70);
      all.push(...res.body.items.map((p: { id: string }) => p.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(all.length).toBe(450);
    expect(new Set(all).size).toBe(450);
  });

  it("an account id of another workspace answers like an unknown one and reads none of its posts", async () => {
    const { ownerKey: other, workspaceId: otherWs } = await newWorkspace("Other");
    const foreign = await newAccount(other, { platform: "facebook" });
    await seedPosts(otherWs, foreign, 300, (i) => ({
      scheduledFor: new Date(Date.now() + DAY + i * 1000).toISOString(),
    }));

    const asked = await queriesDuring(() => call("GET", `/v1/posts?accountId=${foreign}`, { token: owner }));
    const unknown = await queriesDuring(() => call("GET", "/v1/posts?accountId=acct_doesnotexist", { token: owner }));
    for (const { result, queries } of [asked, unknown]) {
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ items: [], nextCursor: null });
      expect(queries).toEqual([]); // one GetItem of the account, no Query of its posts
    }
    // Its owner still sees them, through the account's partition.
    const mine = await queriesDuring(() => call("GET", `/v1/posts?accountId=${foreign}&limit=10`, { token: other }));
    expect(mine.result.body.items).toHaveLength(10);
    expect(mine.queries.map((q) => q.index)).toEqual(["gsi2"]);
  });

  it("the nearby-post check reads a bounded number of neighbours", async () => {
    const when = new Date(Date.now() + 3 * DAY);
    when.setUTCSeconds(0, 0);
    await seedPosts(workspaceId, account, 80, (i) => ({
      status: "scheduled",
      scheduledFor: new Date(when.getTime() + (i % 10) * 1000).toISOString(),
    }));
    const draft = await call("POST", "/v1/posts", {
      token: owner,
      body: { accountId: account, caption: "x", media: [] },
    });
    const { result, queries } = await queriesDuring(() =>
      call("POST", `/v1/posts/${draft.body.id}/schedule`, { token: owner, body: { scheduledFor: when.toISOString() } }),
    );
    expect(result.status).toBe(200);
    expect(result.body.warnings.length).toBeGreaterThan(0);
    expect(result.body.warnings.length).toBeLessThanOrEqual(25);
    const nearby = queries.filter((q) => q.index === "gsi2");
    expect(nearby).toHaveLength(1);
    expect(nearby[0]?.scanned).toBeLessThanOrEqual(25);
  });
});
