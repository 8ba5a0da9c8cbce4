import { getAccount, refreshNow } from "@studio/core/account/tokens";
import { createDynamo, setDynamo } from "@studio/core/db/client";
import { db } from "@studio/core/db/service";
import { monthOf, recordUsage } from "@studio/core/llm/usage";
import type { PostItem } from "@studio/core/post/post";
import { claim, leaseMs, takeover } from "@studio/core/publish/transitions";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { withAwsEnv } from "../testing/aws-env";
import { type StallProxy, stallProxy } from "../testing/stall-proxy";
import { startTestStudio, type TestStudio } from "../testing/studio";

/**
 * A DynamoDB write whose answer is lost (issue 7: "every verdict comes from evidence"): a TCP
 * proxy in front of DynamoDB Local forwards the write, which takes effect, and withholds its
 * answer once; the client's request timeout fires and the SDK retries the same conditional
 * write, which now fails its condition against our own first attempt. The API must recognise
 * its own write (db/own-write.ts) and answer as if the first answer had arrived: one post, the
 * right status, never a 500 nor a 409 for a write that was applied.
 */

describe("a write whose answer is lost is recognised, not repeated (connected)", () => {
  let s: TestStudio;
  let key: string;
  let proxy: StallProxy;
  let n = 0;

  beforeAll(async () => {
    s = await startTestStudio();
    ({ key } = await s.workspace());
    proxy = await stallProxy(s.runtime.dynamoEndpoint);
  });
  afterEach(() => {
    proxy.release();
    setDynamo(undefined);
  });
  afterAll(async () => {
    await proxy?.close();
    await s?.stop();
  });

  /**
   * From now on every DynamoDB request goes through the proxy; the first one holding `marker`
   * is applied by DynamoDB Local and its answer lost: its connection is reset when the answer
   * arrives (`reset`), or the answer is withheld until the client's request timeout fires
   * (`timeout`, 2 s here). Either way the SDK sends the same write again (production's attempts).
   */
  function loseAnswerOnce(marker: string, how: "reset" | "timeout" = "reset") {
    proxy.stall({ marker, times: 1, mode: how === "reset" ? "reset" : "response" });
    const timeout: Record<string, string> = how === "timeout" ? { STUDIO_AWS_REQUEST_TIMEOUT_MS: "2000" } : {};
    setDynamo(withAwsEnv(timeout, () => createDynamo({ endpoint: proxy.url })));
  }
  function restore() {
    proxy.release();
    setDynamo(undefined);
  }
  const stored = async (id: string) => (await db().entities.post.get({ id }).go({ consistent: true })).data;
  const later = () => new Date(Date.now() + 3_600_000 + ++n).toISOString();

  it("POST /v1/posts, answer lost to the request timeout: 201 with the post, exactly one post stored", async () => {
    const acct = await s.connect(key, "facebook");
    const caption = `lost create answer ${Date.now()}`;
    loseAnswerOnce(caption, "timeout");
    const res = await s.api<{ id: string; caption: string; status: string }>(
      "POST",
      "/v1/posts",
      { accountId: acct.id, caption, media: [] },
      key,
    );
    expect(proxy.stalled).toBe(1);
    restore();
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ caption, status: "draft" });
    const list = await s.api<{ items: { id: string; caption: string }[] }>(
      "GET",
      `/v1/posts?accountId=${acct.id}`,
      undefined,
      key,
    );
    expect(list.body.items.filter((p) => p.caption === caption).map((p) => p.id)).toEqual([res.body.id]);
  });

  it("schedule, answer lost to the request timeout: 200 with the scheduled post, stored once at the new version", async () => {
    const acct = await s.connect(key, "facebook");
    const created = await s.api<{ id: string; version: number }>(
      "POST",
      "/v1/posts",
      { accountId: acct.id, caption: `lost schedule ${++n}`, media: [] },
      key,
    );
    const at = later();
    loseAnswerOnce(at, "timeout");
    const res = await s.api<{ status: string; version: number; scheduledFor: string }>(
      "POST",
      `/v1/posts/${created.body.id}/schedule`,
      { scheduledFor: at },
      key,
    );
    expect(proxy.stalled).toBe(1);
    restore();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "scheduled", version: 2, scheduledFor: at });
    expect(await stored(created.body.id)).toMatchObject({ status: "scheduled", version: 2, scheduledFor: at });
  });

  /** A Facebook draft of its own account, through the API. */
  async function draft(caption = `lost answer ${++n}`) {
    const acct = await s.connect(key, "facebook");
    const res = await s.api<{ id: string; version: number }>(
      "POST",
      "/v1/posts",
      { accountId: acct.id, caption, media: [] },
      key,
    );
    expect(res.status).toBe(201);
    return res.body;
  }

  it("PATCH (caption edit, a transaction with its record): 200, one edit recorded", async () => {
    const post = await draft();
    const caption = `edited after a lost answer ${++n}`;
    loseAnswerOnce(caption);
    const res = await s.api<{ caption: string; version: number }>(
      "PATCH",
      `/v1/posts/${post.id}`,
      { caption, version: post.version },
      key,
    );
    expect(proxy.stalled).toBe(1);
    restore();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ caption, version: 2 });
    const edits = await s.api<{ items: unknown[] }>("GET", `/v1/posts/${post.id}/edits`, undefined, key);
    expect(edits.body.items).toHaveLength(1);
  });

  it("move: 200 at the new time", async () => {
    const post = await draft();
    const at = later();
    loseAnswerOnce(at);
    const res = await s.api<{ scheduledFor: string; version: number }>(
      "POST",
      `/v1/posts/${post.id}/move`,
      { scheduledFor: at },
      key,
    );
    expect(proxy.stalled).toBe(1);
    restore();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ scheduledFor: at, version: 2 });
  });

  it("cancel: 200 cancelled", async () => {
    const post = await draft();
    loseAnswerOnce('"cancelled"');
    const res = await s.api<{ status: string; version: number }>("POST", `/v1/posts/${post.id}/cancel`, {}, key);
    expect(proxy.stalled).toBe(1);
    restore();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "cancelled", version: 2 });
  });

  it("DELETE: 204, the post gone", async () => {
    const post = await draft();
    loseAnswerOnce(".DeleteItem");
    const res = await fetch(`${s.runtime.apiUrl}/v1/posts/${post.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${key}` },
    });
    expect(proxy.stalled).toBe(1);
    restore();
    expect(res.status).toBe(204);
    expect(await stored(post.id)).toBeNull();
  });

  it("POST /v1/workspaces (a transaction): 201, one workspace", async () => {
    const name = `lost ws ${Date.now()}`;
    loseAnswerOnce(name);
    const res = await s.api<{ workspace: { id: string } }>("POST", "/v1/workspaces", { name, timezone: "UTC" });
    expect(proxy.stalled).toBe(1);
    restore();
    expect(res.status).toBe(201);
  });

  it("POST /v1/api-keys: 201", async () => {
    const name = `lost key ${Date.now()}`;
    loseAnswerOnce(name);
    const res = await s.api<{ id: string; apiKey: string }>("POST", "/v1/api-keys", { name, role: "viewer" }, key);
    expect(proxy.stalled).toBe(1);
    restore();
    expect(res.status).toBe(201);
  });

  it("POST /v1/competitors: 201", async () => {
    const handle = `lost_comp_${Date.now()}`;
    loseAnswerOnce(handle);
    const res = await s.api<{ id: string }>("POST", "/v1/competitors", { platform: "instagram", handle }, key);
    expect(proxy.stalled).toBe(1);
    restore();
    expect(res.status).toBe(201);
  });

  it("POST /v1/campaigns: 201", async () => {
    const name = `lost campaign ${Date.now()}`;
    const today = new Date().toISOString().slice(0, 10);
    const end = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    loseAnswerOnce(name);
    const res = await s.api<{ id: string }>("POST", "/v1/campaigns", { name, startsOn: today, endsOn: end }, key);
    expect(proxy.stalled).toBe(1);
    restore();
    expect(res.status).toBe(201);
  });

  it("POST /v1/ops/schedules/{name}/run (a job run's start): 202, the run recorded once", async () => {
    loseAnswerOnce('"running"');
    const res = await s.api<{ runId: string }>("POST", "/v1/ops/schedules/competitorsRefresh/run", {});
    expect(proxy.stalled).toBe(1);
    restore();
    expect(res.status).toBe(202);
    const run = await db().entities.jobRun.get({ id: res.body.runId }).go({ consistent: true });
    expect(run.data?.job).toBe("competitorsRefresh");
  });

  it("token refresh, the lock's answer lost: refreshes now (the lock is ours), not after waiting for nobody", async () => {
    const acct = await s.connect(key, "tiktok");
    const before = await getAccount(acct.id);
    loseAnswerOnce("refreshLockUntil");
    const { account } = await refreshNow(before, Date.now, { waitMs: 1_000 });
    expect(proxy.stalled).toBe(1);
    restore();
    expect(account).toMatchObject({ status: "active", tokenVersion: before.tokenVersion + 1 });
    expect(account.refreshLockId).toBeUndefined();
  });

  it("token refresh, the saved tokens' answer lost: the rotated tokens are kept and used, the account active", async () => {
    const acct = await s.connect(key, "tiktok");
    const before = await getAccount(acct.id);
    loseAnswerOnce("tokenIssuedAt");
    const { account } = await refreshNow(before, Date.now, { waitMs: 1_000 });
    expect(proxy.stalled).toBe(1);
    restore();
    expect(account).toMatchObject({ status: "active", tokenVersion: before.tokenVersion + 1 });
    // The stored refresh token is TikTok's rotated one: the next refresh works with it.
    const next = await refreshNow(await getAccount(acct.id), Date.now, { waitMs: 1_000 });
    expect(next.account).toMatchObject({ status: "active", tokenVersion: before.tokenVersion + 2 });
  });

  it("PATCH /v1/campaigns/{id} (conditional on its version): 200 with the change, not a false 409", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const end = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const created = await s.api<{ id: string }>(
      "POST",
      "/v1/campaigns",
      { name: `camp ${++n}`, startsOn: today, endsOn: end },
      key,
    );
    const name = `renamed after a lost answer ${Date.now()}`;
    loseAnswerOnce(name);
    const res = await s.api<{ name: string }>("PATCH", `/v1/campaigns/${created.body.id}`, { name }, key);
    expect(proxy.stalled).toBe(1);
    restore();
    expect(res.status).toBe(200);
    expect(res.body.name).toBe(name);
  });

  it("publish claim and lease takeover, answer lost: the attempt is ours and goes on (not 'lost the race' until the lease expires)", async () => {
    const post = await draft();
    const at = later();
    const scheduled = await s.api("POST", `/v1/posts/${post.id}/schedule`, { scheduledFor: at }, key);
    expect(scheduled.status).toBe(200);
    const before = (await stored(post.id)) as PostItem;
    // The claim carries `receivedAt`: an instant of its own marks its request.
    const now = Date.now();
    const receivedAt = now - 7;
    loseAnswerOnce(new Date(receivedAt).toISOString());
    const claimed = await claim(before, now, receivedAt);
    expect(proxy.stalled).toBe(1);
    restore();
    expect(claimed).toMatchObject({ id: post.id, status: "publishing", attempts: before.attempts + 1 });
    const afterClaim = (await stored(post.id)) as PostItem;
    expect(afterClaim).toMatchObject({ attemptId: claimed?.attemptId, version: before.version + 1 });
    // A sweeper taking over the expired lease: its condition names the previous attemptId.
    loseAnswerOnce(afterClaim.attemptId as string);
    const taken = await takeover(afterClaim, now + leaseMs() + 1);
    expect(proxy.stalled).toBe(1);
    restore();
    expect(taken?.attemptId).toBeDefined();
    expect(taken?.attemptId).not.toBe(afterClaim.attemptId);
    expect(await stored(post.id)).toMatchObject({ attemptId: taken?.attemptId, attempts: before.attempts + 2 });
    // Someone else's write still loses: a second claim of the same version is not ours.
    expect(await claim(before, now, receivedAt)).toBeUndefined();
  });

  it("LLM usage, the ledger write's answer lost: recorded once, the month's cost added once", async () => {
    const workspaceId = `ws_usage_${Date.now()}`;
    const resourceId = `res_${Date.now()}`;
    loseAnswerOnce(resourceId);
    const at = Date.now();
    const usage = { workspaceId, entryPoint: "weeklyPlan", resourceId, model: "gpt-4o-mini", promptTokens: 100 };
    await recordUsage({ ...usage, completionTokens: 50, latencyMs: 10, outcome: "ok", repair: false }, at);
    expect(proxy.stalled).toBe(1);
    restore();
    const spend = await db()
      .entities.llmSpend.get({ workspaceId, month: monthOf(at) })
      .go({ consistent: true });
    expect(spend.data?.calls).toBe(1);
    const ledger = await db().entities.llmUsage.query.byWorkspace({ workspaceId }).go();
    expect(ledger.data.map((u) => u.resourceId)).toEqual([resourceId]);
  });

  describe("POST /v1/posts with an Idempotency-Key (the client lost the API's answer)", () => {
    const create = async (body: unknown, idem: string) => {
      const res = await fetch(`${s.runtime.apiUrl}/v1/posts`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "idempotency-key": idem },
        body: JSON.stringify(body),
      });
      return {
        status: res.status,
        replayed: res.headers.get("idempotent-replayed"),
        body: (await res.json()) as never,
      };
    };

    it("a retry with the same key and body: 201 with the same post, one post stored", async () => {
      const acct = await s.connect(key, "facebook");
      const caption = `keyed ${Date.now()}`;
      const idem = `create-${Date.now()}`;
      const first = await create({ accountId: acct.id, caption, media: [] }, idem);
      const again = await create({ accountId: acct.id, caption, media: [] }, idem);
      expect(first).toMatchObject({ status: 201, replayed: null });
      expect(again).toMatchObject({ status: 201, replayed: "true" });
      expect((again.body as { id: string }).id).toBe((first.body as { id: string }).id);
      const list = await s.api<{ items: { caption: string }[] }>(
        "GET",
        `/v1/posts?accountId=${acct.id}`,
        undefined,
        key,
      );
      expect(list.body.items.filter((p) => p.caption === caption)).toHaveLength(1);
    });

    it("the same key with another body: 409 idempotency.key_reused, nothing created", async () => {
      const acct = await s.connect(key, "facebook");
      const idem = `reused-${Date.now()}`;
      expect((await create({ accountId: acct.id, caption: "first", media: [] }, idem)).status).toBe(201);
      const other = await create({ accountId: acct.id, caption: "second", media: [] }, idem);
      expect(other.status).toBe(409);
      expect(other.body).toMatchObject({ error: { code: "idempotency.key_reused" } });
      const list = await s.api<{ items: unknown[] }>("GET", `/v1/posts?accountId=${acct.id}`, undefined, key);
      expect(list.body.items).toHaveLength(1);
    });

    it("the same key in another workspace is another post", async () => {
      const other = await s.workspace("Other");
      const [a, b] = [await s.connect(key, "facebook"), await s.connect(other.key, "facebook")];
      const idem = `shared-${Date.now()}`;
      const mine = await create({ accountId: a.id, caption: "mine", media: [] }, idem);
      const res = await fetch(`${s.runtime.apiUrl}/v1/posts`, {
        method: "POST",
        headers: { authorization: `Bearer ${other.key}`, "content-type": "application/json", "idempotency-key": idem },
        body: JSON.stringify({ accountId: b.id, caption: "theirs", media: [] }),
      });
      expect(res.status).toBe(201);
      expect(((await res.json()) as { id: string }).id).not.toBe((mine.body as { id: string }).id);
    });
  });
});
