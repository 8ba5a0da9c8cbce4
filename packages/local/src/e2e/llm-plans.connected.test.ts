import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { GENERATION_MAX_RUNS } from "@studio/core/config/llm";
import { setDynamo } from "@studio/core/db/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LlmStudio, startLlmStudio } from "../testing/llm";

/**
 * The weekly planner through the API, the `llm` queue and the offline model over HTTP: one test
 * per offline-model fault and per seed failure case (missing brand profile, empty metrics, LLM
 * timeout, invalid JSON, a database failure after the LLM answered, an invalid platform). Each
 * ends `ready` after at most one repair or retry, or `failed` with the documented code; never a
 * half plan, never a duplicate draft; the usage ledger holds every call.
 */
interface PlanBody {
  id: string;
  status: string;
  weekStart: string;
  proposals: Array<{
    accountId: string;
    platform: string;
    scheduledFor: string;
    caption: string;
    postId: string;
    mediaType: string;
    hashtags: string[];
  }>;
  draftPostIds: string[];
  dropped: unknown[];
  notes: string[];
  usage: { calls: number; promptTokens: number; completionTokens: number; costUsd: number; repaired: boolean } | null;
  lastError: { code: string; message: string } | null;
}

describe("weekly planner: faults and failure cases (connected)", () => {
  let s: LlmStudio;
  beforeAll(async () => {
    s = await startLlmStudio();
  });
  afterAll(() => s?.stop());

  /** A workspace with one active account per platform. */
  const setup = async (brandProfile?: Record<string, unknown>) => {
    const ws = await s.workspace("Plan Co");
    if (brandProfile) {
      const patched = await s.http("PATCH", "/v1/workspace", { key: ws.key, body: { brandProfile } });
      expect(patched.status).toBe(200);
    }
    const accounts = {
      instagram: (await s.connect(ws.key, "instagram")).id,
      facebook: (await s.connect(ws.key, "facebook")).id,
      tiktok: (await s.connect(ws.key, "tiktok")).id,
    };
    return { ...ws, accounts };
  };
  const planCalls = () => s.model.control.calls({ operation: "llm.weekly_plan" }).length;
  const plan = async (key: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    const res = await s.http<PlanBody>("POST", "/v1/plans", { key, body, headers });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return { res, done: await s.settle<PlanBody>(key, `/v1/plans/${res.body.id}`) };
  };
  const draftsOf = async (key: string, planId: string) => {
    const res = await s.http<{ items: Array<{ id: string; planId: string | null; status: string }> }>(
      "GET",
      "/v1/posts?status=draft&limit=200",
      { key },
    );
    return res.body.items.filter((p) => p.planId === planId);
  };
  const ledger = async (key: string) =>
    (
      await s.http<{
        totals: { calls: number };
        byFeature: Array<{ feature: string; calls: number; repairs: number; failures: number }>;
      }>("GET", "/v1/usage", { key })
    ).body;

  /** A ready plan's invariants: every proposal is exactly one draft, linked by planId. */
  const assertWhole = async (key: string, p: PlanBody) => {
    expect(p.status).toBe("ready");
    expect(p.proposals.length).toBeGreaterThan(0);
    expect(p.draftPostIds).toEqual(p.proposals.map((x) => x.postId));
    const drafts = await draftsOf(key, p.id);
    expect(drafts.map((d) => d.id).sort()).toEqual([...p.draftPostIds].sort());
  };

  it("missing brand profile and empty metrics: 202 generating + Location, then ready with defaults said; drafts once; usage", async () => {
    const ws = await setup();
    const before = planCalls();
    const res = await s.http<PlanBody>("POST", "/v1/plans", { key: ws.key, body: { postsPerWeek: 4 } });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe("generating");
    expect(res.headers.get("location")).toBe(`/v1/plans/${res.body.id}`);
    const p = await s.settle<PlanBody>(ws.key, `/v1/plans/${res.body.id}`);
    await assertWhole(ws.key, p);
    expect(p.proposals).toHaveLength(4);
    expect(p.notes.join(" ")).toMatch(/No brand profile: defaults were used/);
    expect(p.notes.join(" ")).toMatch(/No metrics history yet/);
    // Proposals respect the week (Monday in Europe/Paris), the accounts, and TikTok's media.
    for (const x of p.proposals) {
      expect(Object.values(ws.accounts)).toContain(x.accountId);
      expect(Date.parse(x.scheduledFor)).toBeGreaterThan(Date.now());
      if (x.platform === "tiktok") expect(x.mediaType).toBe("video");
    }
    expect(planCalls() - before).toBe(1);
    const usage = await ledger(ws.key);
    expect(usage.byFeature).toEqual([expect.objectContaining({ feature: "weeklyPlan", calls: 1, repairs: 0 })]);
    expect(p.usage?.promptTokens).toBeGreaterThan(500);
  });

  it("with a brand profile, Prefer: wait returns the ready plan as 201 + Location; captions speak for the brand", async () => {
    const ws = await setup({ name: "Bean There", tone: "playful", topics: ["cold brew", "latte art"] });
    const res = await s.http<PlanBody>("POST", "/v1/plans", {
      key: ws.key,
      body: { platforms: ["instagram"], postsPerWeek: 3 },
      headers: { prefer: "wait=15" },
    });
    // Finished within the wait: the final resource, created (not "accepted").
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/v1/plans/${res.body.id}`);
    expect(res.headers.get("preference-applied")).toBe("wait=15");
    expect(res.body.status).toBe("ready");
    await assertWhole(ws.key, res.body);
    expect(res.body.notes.join(" ")).not.toMatch(/defaults/);
    expect(res.body.proposals.every((x) => x.platform === "instagram")).toBe(true);
    expect(res.body.proposals.map((x) => x.caption).join(" ")).toMatch(/Bean There|cold brew|latte art/i);
  });

  it("Prefer: wait shorter than the work: 202 generating + Location after about the wait, then ready", async () => {
    const ws = await setup();
    s.model.control.addFault({ operation: "llm.weekly_plan", type: "slow", delayMs: 3_000, times: 1 });
    const timeout = process.env.STUDIO_LLM_TIMEOUT_MS;
    process.env.STUDIO_LLM_TIMEOUT_MS = "10000";
    try {
      const started = Date.now();
      const res = await s.http<PlanBody>("POST", "/v1/plans", {
        key: ws.key,
        body: { postsPerWeek: 2 },
        headers: { prefer: "wait=1" },
      });
      expect(res.status).toBe(202);
      expect(res.body.status).toBe("generating");
      expect(res.headers.get("location")).toBe(`/v1/plans/${res.body.id}`);
      expect(res.headers.get("preference-applied")).toBe("wait=1");
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      await assertWhole(ws.key, await s.settle<PlanBody>(ws.key, `/v1/plans/${res.body.id}`));
    } finally {
      process.env.STUDIO_LLM_TIMEOUT_MS = timeout;
    }
  });

  it("Idempotency-Key: the same plan, one LLM call; another body under the same key is 409", async () => {
    const ws = await setup();
    const before = planCalls();
    const headers = { "idempotency-key": "plan-key-1" };
    const first = await plan(ws.key, { postsPerWeek: 2 }, headers);
    const again = await s.http<PlanBody>("POST", "/v1/plans", { key: ws.key, body: { postsPerWeek: 2 }, headers });
    // The existing plan, settled: 200 (neither created by this request nor still accepted).
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.res.body.id);
    expect(again.body.status).toBe("ready");
    expect(planCalls() - before).toBe(1);
    const other = await s.http("POST", "/v1/plans", { key: ws.key, body: { postsPerWeek: 3 }, headers });
    expect(other.status).toBe(409);
    expect((other.body as { error: { code: string } }).error.code).toBe("idempotency.key_reused");
    expect(await draftsOf(ws.key, first.done.id)).toHaveLength(2);
  });

  it.each([["invalid_json"], ["schema_mismatch"], ["length"]] as const)(
    "%s once → ready after one repair; twice → failed llm.invalid_output, no draft; both calls in the ledger",
    async (type) => {
      const ws = await setup();
      s.model.control.addFault({ operation: "llm.weekly_plan", type });
      const ok = await plan(ws.key, { postsPerWeek: 3 });
      await assertWhole(ws.key, ok.done);
      expect(ok.done.usage).toMatchObject({ calls: 2, repaired: true });

      s.model.control.addFault({ operation: "llm.weekly_plan", type, times: 2 });
      const bad = await plan(ws.key, { postsPerWeek: 3 });
      expect(bad.done.status).toBe("failed");
      expect(bad.done.lastError?.code).toBe("llm.invalid_output");
      expect(bad.done.proposals).toEqual([]);
      expect(await draftsOf(ws.key, bad.done.id)).toEqual([]);
      const usage = await ledger(ws.key);
      expect(usage.totals.calls).toBe(4);
      expect(usage.byFeature[0]).toMatchObject({ repairs: 2, failures: 3 });
    },
  );

  it("refusal → failed llm.refused at once (never repaired, never retried), no draft", async () => {
    const ws = await setup();
    const before = planCalls();
    s.model.control.addFault({ operation: "llm.weekly_plan", type: "refusal" });
    const { done } = await plan(ws.key);
    expect(done.status).toBe("failed");
    expect(done.lastError?.code).toBe("llm.refused");
    expect(await draftsOf(ws.key, done.id)).toEqual([]);
    expect(planCalls() - before).toBe(1);
    expect((await ledger(ws.key)).totals.calls).toBe(1);
  });

  it.each([
    ["rate_limit (429 + retry-after)", { type: "rate_limit", retryAfterSec: 1 }],
    ["server_error (500)", { type: "server_error" }],
    ["slow answer past the timeout", { type: "slow", delayMs: 2_500 }],
    ["dropped connection", { type: "reset" }],
  ] as const)("%s once → the client's retry succeeds: ready, one call in the ledger", async (_, fault) => {
    const ws = await setup();
    s.model.control.addFault({ operation: "llm.weekly_plan", ...fault });
    const { done } = await plan(ws.key, { postsPerWeek: 2 });
    await assertWhole(ws.key, done);
    expect((await ledger(ws.key)).totals.calls).toBe(1);
  });

  it("LLM timeout on every attempt of a run → the queue retries later (Retry-After) and the plan is ready; one draft each", async () => {
    const ws = await setup();
    // Two attempts per run (STUDIO_LLM_MAX_RETRIES=1): the first run times out entirely.
    s.model.control.addFault({ operation: "llm.weekly_plan", type: "timeout", times: 2, delayMs: 1_500 });
    const { done } = await plan(ws.key, { postsPerWeek: 2 });
    await assertWhole(ws.key, done);
    const usage = await ledger(ws.key);
    expect(usage.byFeature[0]).toMatchObject({ calls: 2, failures: 1 });
  });

  it("unavailable on every delivery → failed llm.unavailable after the queue's receives, no draft, every call in the ledger", async () => {
    const ws = await setup();
    s.model.control.addFault({ operation: "llm.weekly_plan", type: "server_error", times: 100 });
    try {
      const res = await s.http<PlanBody>("POST", "/v1/plans", { key: ws.key, body: {} });
      const done = await s.settle<PlanBody>(ws.key, `/v1/plans/${res.body.id}`, 45_000);
      expect(done.status).toBe("failed");
      expect(done.lastError?.code).toBe("llm.unavailable");
      expect(await draftsOf(ws.key, done.id)).toEqual([]);
      expect((await ledger(ws.key)).totals.calls).toBe(GENERATION_MAX_RUNS); // one per run
    } finally {
      s.model.control.clearFaults();
    }
  });

  it("a database failure after the LLM answered: retried from the stored plan, no second LLM call, each draft once", async () => {
    const ws = await setup();
    const before = planCalls();
    let puts = 0;
    let failed = 0;
    const raw = new DynamoDBClient({ endpoint: s.runtime.dynamoEndpoint, maxAttempts: 1 });
    raw.middlewareStack.add(
      (next, context) => async (args) => {
        const input = (args as { input?: { Item?: { planId?: unknown } } }).input;
        // The second draft's insert fails (twice: the SDK's own retry is off here).
        if (context.commandName === "PutItemCommand" && input?.Item?.planId && ++puts === 2 && failed < 1) {
          failed++;
          throw Object.assign(new Error("Internal server error"), { name: "InternalServerError" });
        }
        return next(args);
      },
      { step: "initialize", name: "failSecondDraft" },
    );
    setDynamo(DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }));
    try {
      const { done } = await plan(ws.key, { postsPerWeek: 4 });
      expect(failed).toBe(1);
      await assertWhole(ws.key, done);
      expect(done.proposals).toHaveLength(4);
      expect(planCalls() - before).toBe(1);
      expect((await ledger(ws.key)).totals.calls).toBe(1);
    } finally {
      setDynamo(undefined);
    }
  });

  it("bad input: an invalid platform, a week that is not a Monday or is over, no account, a spent budget", async () => {
    const ws = await setup();
    const post = (body: unknown) =>
      s.http<{ error: { code: string; details: unknown } }>("POST", "/v1/plans", { key: ws.key, body });
    const platform = await post({ platforms: ["myspace"] });
    expect(platform.status).toBe(400);
    expect(platform.body.error.code).toBe("validation_failed");
    expect(JSON.stringify(platform.body.error.details)).toContain("platforms");
    const tuesday = await post({ weekStart: "2030-01-01" });
    expect(tuesday.status).toBe(400);
    expect(JSON.stringify(tuesday.body.error.details)).toContain("weekStart");
    const past = await post({ weekStart: "2024-01-01" });
    expect(past.body.error.code).toBe("plan.week_in_past");
    const empty = await s.workspace("No accounts");
    const none = await s.http<{ error: { code: string } }>("POST", "/v1/plans", { key: empty.key, body: {} });
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe("plan.no_accounts");
    await s.http("PATCH", "/v1/workspace", { key: ws.key, body: { llmMonthlyBudgetUsd: 0 } });
    const budget = await s.http<{ error: { code: string } }>("POST", "/v1/plans", { key: ws.key, body: {} });
    expect(budget.status).toBe(429);
    expect(budget.body.error.code).toBe("llm.budget_exceeded");
    expect(Number(budget.headers.get("retry-after"))).toBeGreaterThan(0);
    const missing = await s.http<{ error: { code: string } }>("GET", "/v1/plans/plan_nope", { key: ws.key });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("plan.not_found");
  });
});
