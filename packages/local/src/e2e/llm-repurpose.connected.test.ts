import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { setDynamo } from "@studio/core/db/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LlmStudio, startLlmStudio } from "../testing/llm";

/**
 * The repurposing engine through the API, the `llm` queue and the offline model: one test per
 * offline-model fault and per seed failure case (missing source, deleted source, invalid
 * platform, unknown or foreign account, LLM errors, a database failure while the variants are
 * inserted). Each ends ready after at most one repair or retry, or with the documented code;
 * never a duplicate draft; the ledger holds every call.
 */
interface Rep {
  id: string;
  status: string;
  sourcePostId: string;
  variants: Array<{
    accountId: string;
    platform: string;
    caption: string | null;
    hashtags: string[];
    postId: string | null;
    error: { code: string } | null;
  }>;
  lastError: { code: string } | null;
}

describe("repurposing engine: faults and failure cases (connected)", () => {
  let s: LlmStudio;
  let key: string;
  let acct: { instagram: string; facebook: string; tiktok: string };
  beforeAll(async () => {
    s = await startLlmStudio();
  });
  afterAll(() => s?.stop());

  const setup = async () => {
    ({ key } = await s.workspace("Repurpose Co"));
    await s.http("PATCH", "/v1/workspace", { key, body: { brandProfile: { name: "Bean There", tone: "playful" } } });
    acct = {
      instagram: (await s.connect(key, "instagram")).id,
      facebook: (await s.connect(key, "facebook")).id,
      tiktok: (await s.connect(key, "tiktok")).id,
    };
  };
  const source = async (media: "video.mp4" | "image.jpg" = "video.mp4") => {
    const res = await s.http<{ id: string }>("POST", "/v1/posts", {
      key,
      body: {
        accountId: acct.instagram,
        caption: "Our new cold brew is here. Smooth, strong, and ready by 7am. #coffee",
        media: [s.media(media)],
      },
    });
    expect(res.status).toBe(201);
    return res.body.id;
  };
  const repurpose = async (sourcePostId: string, targets: string[], headers: Record<string, string> = {}) => {
    const res = await s.http<Rep>("POST", "/v1/repurpose", {
      key,
      body: { sourcePostId, targets: targets.map((accountId) => ({ accountId })) },
      headers,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return s.settle<Rep>(key, `/v1/repurpose/${res.body.id}`);
  };
  const draftsFrom = async (sourcePostId: string) => {
    const res = await s.http<{
      items: Array<{ id: string; sourcePostId: string | null; caption: string; accountId: string }>;
    }>("GET", "/v1/posts?status=draft&limit=200", { key });
    return res.body.items.filter((p) => p.sourcePostId === sourcePostId);
  };
  const calls = () => s.model.control.calls({ operation: "llm.repurpose" }).length;
  const ledgerCalls = async () =>
    (await s.http<{ totals: { calls: number } }>("GET", "/v1/usage", { key })).body.totals.calls;
  const assertDrafts = async (r: Rep) => {
    const drafts = await draftsFrom(r.sourcePostId);
    const expected = r.variants.filter((v) => v.postId).map((v) => v.postId);
    expect(drafts.map((d) => d.id).sort()).toEqual([...expected].sort());
  };

  it("a video post → one draft per target, linked by sourcePostId; TikTok from an image gets an error, not a draft", async () => {
    await setup();
    const video = await source("video.mp4");
    const r = await repurpose(video, [acct.facebook, acct.tiktok]);
    expect(r.status).toBe("ready");
    expect(r.variants.map((v) => [v.platform, Boolean(v.postId), v.error])).toEqual([
      ["facebook", true, null],
      ["tiktok", true, null],
    ]);
    expect(r.variants[1]?.caption).toMatch(/cold brew/i);
    await assertDrafts(r);
    const image = await source("image.jpg");
    const mixed = await repurpose(image, [acct.facebook, acct.tiktok]);
    expect(mixed.status).toBe("ready");
    expect(mixed.variants[1]).toMatchObject({
      platform: "tiktok",
      postId: null,
      error: { code: "repurpose.media_unsupported" },
    });
    await assertDrafts(mixed);
    expect(await draftsFrom(image)).toHaveLength(1);
  });

  it("Idempotency-Key: the same repurposing, one LLM call", async () => {
    await setup();
    const src = await source();
    const before = calls();
    const headers = { "idempotency-key": "rep-1" };
    const first = await repurpose(src, [acct.facebook], headers);
    const again = await s.http<Rep>("POST", "/v1/repurpose", {
      key,
      body: { sourcePostId: src, targets: [{ accountId: acct.facebook }] },
      headers,
    });
    expect(again.body.id).toBe(first.id);
    expect(calls() - before).toBe(1);
    expect(await draftsFrom(src)).toHaveLength(1);
  });

  it.each([["invalid_json"], ["schema_mismatch"], ["length"]] as const)(
    "%s once → ready after one repair; twice → failed llm.invalid_output with no draft; every call in the ledger",
    async (type) => {
      await setup();
      const src = await source();
      s.model.control.addFault({ operation: "llm.repurpose", type });
      const ok = await repurpose(src, [acct.facebook, acct.tiktok]);
      expect(ok.status).toBe("ready");
      await assertDrafts(ok);
      s.model.control.addFault({ operation: "llm.repurpose", type, times: 2 });
      const src2 = await source();
      const bad = await repurpose(src2, [acct.facebook]);
      expect(bad.status).toBe("failed");
      expect(bad.lastError?.code).toBe("llm.invalid_output");
      expect(await draftsFrom(src2)).toEqual([]);
      expect(await ledgerCalls()).toBe(4);
    },
  );

  it("refusal → failed llm.refused, one call, no draft", async () => {
    await setup();
    const src = await source();
    s.model.control.addFault({ operation: "llm.repurpose", type: "refusal" });
    const r = await repurpose(src, [acct.facebook]);
    expect(r.status).toBe("failed");
    expect(r.lastError?.code).toBe("llm.refused");
    expect(await draftsFrom(src)).toEqual([]);
    expect(await ledgerCalls()).toBe(1);
  });

  it.each([
    ["rate_limit (429 + retry-after)", { type: "rate_limit", retryAfterSec: 1 }],
    ["server_error (500)", { type: "server_error" }],
    ["slow answer past the timeout", { type: "slow", delayMs: 2_500 }],
    ["dropped connection", { type: "reset" }],
  ] as const)("%s once → the client's retry succeeds; one call in the ledger", async (_, fault) => {
    await setup();
    const src = await source();
    s.model.control.addFault({ operation: "llm.repurpose", ...fault });
    const r = await repurpose(src, [acct.facebook]);
    expect(r.status).toBe("ready");
    await assertDrafts(r);
    expect(await ledgerCalls()).toBe(1);
  });

  it("LLM timeout for a whole run → the queue retries after Retry-After; ready, drafts once", async () => {
    await setup();
    const src = await source();
    s.model.control.addFault({ operation: "llm.repurpose", type: "timeout", times: 2, delayMs: 1_500 });
    const r = await repurpose(src, [acct.facebook, acct.tiktok]);
    expect(r.status).toBe("ready");
    await assertDrafts(r);
    expect(await ledgerCalls()).toBe(2);
  });

  it("a database failure while the variants are inserted: retried without the LLM, each draft once", async () => {
    await setup();
    const src = await source();
    const before = calls();
    let failed = 0;
    const raw = new DynamoDBClient({ endpoint: s.runtime.dynamoEndpoint, maxAttempts: 1 });
    raw.middlewareStack.add(
      (next, context) => async (args) => {
        const item = (args as { input?: { Item?: { sourcePostId?: unknown } } }).input?.Item;
        if (context.commandName === "PutItemCommand" && item?.sourcePostId && failed++ === 1) {
          throw Object.assign(new Error("Internal server error"), { name: "InternalServerError" });
        }
        return next(args);
      },
      { step: "initialize", name: "failSecondVariant" },
    );
    setDynamo(DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }));
    try {
      const r = await repurpose(src, [acct.facebook, acct.tiktok]);
      expect(failed).toBeGreaterThanOrEqual(2);
      expect(r.status).toBe("ready");
      await assertDrafts(r);
      expect(await draftsFrom(src)).toHaveLength(2);
      expect(calls() - before).toBe(1);
    } finally {
      setDynamo(undefined);
    }
  });

  it("missing or deleted source → 404 post.not_found; invalid platform → 400 naming it; unknown or foreign account → 404", async () => {
    await setup();
    const post = (body: unknown) =>
      s.http<{ error: { code: string; message: string; details: unknown } }>("POST", "/v1/repurpose", { key, body });
    const missing = await post({ sourcePostId: "post_missing", targets: [{ accountId: acct.facebook }] });
    expect([missing.status, missing.body.error.code]).toEqual([404, "post.not_found"]);
    const doomed = await source();
    expect((await s.http("DELETE", `/v1/posts/${doomed}`, { key })).status).toBe(204);
    const deleted = await post({ sourcePostId: doomed, targets: [{ accountId: acct.facebook }] });
    expect([deleted.status, deleted.body.error.code]).toEqual([404, "post.not_found"]);
    const src = await source();
    const platform = await post({ sourcePostId: src, targets: [{ accountId: acct.facebook, platform: "myspace" }] });
    expect([platform.status, platform.body.error.code]).toEqual([400, "repurpose.unsupported_platform"]);
    expect(platform.body.error.message).toContain("myspace");
    const unknown = await post({ sourcePostId: src, targets: [{ accountId: "acct_nope" }] });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "account.not_found"]);
    expect(unknown.body.error.message).toContain("acct_nope");
    const other = await s.workspace("Other");
    const foreignAcct = (await s.connect(other.key, "facebook")).id;
    const foreign = await post({ sourcePostId: src, targets: [{ accountId: foreignAcct }] });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, "account.not_found"]);
    const foreignSource = await s.http<{ error: { code: string } }>("POST", "/v1/repurpose", {
      key: other.key,
      body: { sourcePostId: src, targets: [{ accountId: foreignAcct }] },
    });
    expect([foreignSource.status, foreignSource.body.error.code]).toEqual([404, "post.not_found"]);
    expect(await draftsFrom(src)).toEqual([]);
  });
});
