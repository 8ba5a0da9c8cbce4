import { setTimeout as sleep } from "node:timers/promises";
import { db } from "@studio/core/db/service";
import { runGeneration } from "@studio/core/generation/runner";
import { addDays, todayIn } from "@studio/core/util/zone";
import { type OfflineModel, startOfflineModel } from "@studio/local/offline-model/index";
import { connectedEnv } from "@studio/local/testing/connected";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { call, newAccount, newKey, newWorkspace } from "./testing/client";

/**
 * Campaigns through the API, planned by the `llm` queue's core call (runGeneration, as the
 * consumer runs it) against the offline model over HTTP: invalid dates, LLM failures, and a
 * campaign deleted before or during planning (no orphan drafts).
 */
describe("campaigns (connected)", () => {
  let model: OfflineModel;
  let key: string;
  let workspaceId: string;
  let viewer: string;
  let other: string;
  const today = todayIn("Europe/Paris");

  beforeAll(async () => {
    await connectedEnv();
    model = await startOfflineModel({ port: 0 });
    process.env.OPENAI_BASE_URL = model.baseUrl;
    process.env.STUDIO_LLM_TIMEOUT_MS = "5000";
    process.env.STUDIO_LLM_MAX_RETRIES = "0";
    ({ ownerKey: key, workspaceId } = await newWorkspace("Campaigns", "Europe/Paris"));
    viewer = await newKey(key, "viewer");
    ({ ownerKey: other } = await newWorkspace("Other"));
    await newAccount(key, { platform: "facebook" });
    await newAccount(key, { platform: "instagram" });
  });
  afterEach(() => model.control.clearFaults());
  afterAll(async () => {
    delete process.env.OPENAI_BASE_URL;
    delete process.env.STUDIO_LLM_TIMEOUT_MS;
    delete process.env.STUDIO_LLM_MAX_RETRIES;
    await model?.stop();
  });

  const create = (body: Record<string, unknown>, token = key) => call("POST", "/v1/campaigns", { token, body });
  const campaign = async (over: Record<string, unknown> = {}) => {
    const res = await create({ name: "Winter", startsOn: addDays(today, 2), endsOn: addDays(today, 15), ...over });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; planIds: string[] };
  };
  const plan = async (id: string, headers: Record<string, string> = {}, status = 202) => {
    const res = await call("POST", `/v1/campaigns/${id}/plan`, { token: key, headers });
    expect(res.status, res.text).toBe(status);
    return res;
  };
  /** What the `llm` queue's consumer does with the plan's message. */
  const run = (planId: string, receiveCount = 1) =>
    runGeneration(
      { kind: "generate", feature: "campaignPlan", workspaceId, id: planId },
      { receiveCount, maxReceiveCount: 4, deadline: Date.now() + 60_000 },
    );
  const readPlan = async (campaignId: string, planId: string) => {
    const res = await call("GET", `/v1/campaigns/${campaignId}/plans/${planId}`, { token: key });
    expect(res.status, res.text).toBe(200);
    return res.body;
  };
  const draftsOf = async (campaignId: string) =>
    (await db().entities.post.query.byWorkspace({ workspaceId }).go({ pages: "all" })).data.filter(
      (p) => p.campaignId === campaignId,
    );
  const llmCalls = () => model.control.calls({ operation: "llm.campaign_plan" }).length;

  describe("CRUD", () => {
    it("creates, reads, lists, changes and deletes a campaign", async () => {
      const created = await create({
        name: "Launch",
        startsOn: addDays(today, 1),
        endsOn: addDays(today, 30),
        goal: "Sign-ups",
        platforms: ["facebook"],
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: "Launch", goal: "Sign-ups", platforms: ["facebook"], planIds: [] });
      const id = created.body.id;
      expect((await call("GET", `/v1/campaigns/${id}`, { token: viewer })).body.name).toBe("Launch");
      const list = await call("GET", "/v1/campaigns", { token: viewer });
      expect(list.body.items.map((c: { id: string }) => c.id)).toContain(id);
      const changed = await call("PATCH", `/v1/campaigns/${id}`, {
        token: key,
        body: { name: "Launch 2", goal: null },
      });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ name: "Launch 2", goal: null, version: 2 });
      expect((await call("DELETE", `/v1/campaigns/${id}`, { token: key })).status).toBe(204);
      expect((await call("GET", `/v1/campaigns/${id}`, { token: key })).status).toBe(404);
      expect((await call("DELETE", `/v1/campaigns/${id}`, { token: key })).status).toBe(404);
    });

    it("keeps workspaces apart and viewers read-only", async () => {
      const { id } = await campaign();
      expect((await create({ name: "x", startsOn: today, endsOn: today }, viewer)).status).toBe(403);
      for (const res of [
        await call("GET", `/v1/campaigns/${id}`, { token: other }),
        await call("PATCH", `/v1/campaigns/${id}`, { token: other, body: { name: "Mine" } }),
        await call("DELETE", `/v1/campaigns/${id}`, { token: other }),
        await call("POST", `/v1/campaigns/${id}/plan`, { token: other }),
      ]) {
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe("campaign.not_found");
      }
    });

    it("invalid dates: 400 campaign.invalid_range for start after end, more than 92 days, or ending in the past", async () => {
      const cases: [string, string][] = [
        [addDays(today, 10), addDays(today, 9)],
        [addDays(today, 1), addDays(today, 93)], // 93 days, both ends included
        [addDays(today, -10), addDays(today, -1)],
      ];
      for (const [startsOn, endsOn] of cases) {
        const res = await create({ name: "Bad", startsOn, endsOn });
        expect(res.status, `${startsOn}..${endsOn}`).toBe(400);
        expect(res.body.error.code).toBe("campaign.invalid_range");
      }
      expect((await create({ name: "Max", startsOn: addDays(today, 1), endsOn: addDays(today, 92) })).status).toBe(201);
      expect((await create({ name: "Today", startsOn: addDays(today, -5), endsOn: today })).status).toBe(201);
      const notADate = await create({ name: "Bad", startsOn: "2026-02-30", endsOn: "2027-13-01" });
      expect(notADate.status).toBe(400);
      expect(notADate.body.error.code).toBe("validation_failed");
      expect(notADate.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["endsOn", "startsOn"]);
      const { id } = await campaign();
      const patched = await call("PATCH", `/v1/campaigns/${id}`, { token: key, body: { endsOn: addDays(today, 1) } });
      expect(patched.status).toBe(400);
      expect(patched.body.error.code).toBe("campaign.invalid_range");
    });
  });

  describe("planning", () => {
    it("plans drafts across the range: stored before drafts, each draft once, no second LLM call on retry", async () => {
      const c = await campaign();
      const before = llmCalls();
      const accepted = await plan(c.id, { "Idempotency-Key": `plan-${c.id}` });
      expect(accepted.body).toMatchObject({ campaignId: c.id, status: "generating", draftPostIds: [] });
      expect(accepted.headers.get("location")).toBe(`/v1/campaigns/${c.id}/plans/${accepted.body.id}`);
      expect(await run(accepted.body.id)).toEqual({ kind: "ack" });

      const ready = await readPlan(c.id, accepted.body.id);
      expect(ready.status).toBe("ready");
      expect(ready.proposals.length).toBeGreaterThan(0);
      expect(ready.draftPostIds).toHaveLength(ready.proposals.length);
      expect(llmCalls()).toBe(before + 1);
      const drafts = await draftsOf(c.id);
      expect(drafts.map((d) => d.id).sort()).toEqual([...ready.draftPostIds].sort());
      const first = Date.parse(`${addDays(today, 2)}T00:00:00+01:00`) - 3_600_000;
      const last = Date.parse(`${addDays(today, 16)}T00:00:00+01:00`) + 3_600_000;
      for (const d of drafts) {
        expect(d.status).toBe("draft");
        expect(Date.parse(d.scheduledFor as string)).toBeGreaterThanOrEqual(first);
        expect(Date.parse(d.scheduledFor as string)).toBeLessThan(last);
      }
      expect((await call("GET", `/v1/campaigns/${c.id}`, { token: key })).body.planIds).toEqual([accepted.body.id]);

      // The same request again (Idempotency-Key): the same plan, settled (200, not 202), no second call.
      const again = await plan(c.id, { "Idempotency-Key": `plan-${c.id}` }, 200);
      expect(again.body.id).toBe(accepted.body.id);
      expect(again.body.status).toBe("ready");
      // A redelivery of a finished plan's message: acknowledged, nothing more.
      expect(await run(accepted.body.id, 2)).toEqual({ kind: "ack" });

      // A run that died after its checkpoint and some drafts (status back to generating, one draft
      // missing): the retry writes only the missing draft, from the checkpoint, without the model.
      await db().entities.generation.patch({ id: accepted.body.id }).set({ status: "generating" }).go();
      await db().entities.post.delete({ id: ready.draftPostIds[0] }).go();
      expect(await run(accepted.body.id, 2)).toEqual({ kind: "ack" });
      expect(llmCalls()).toBe(before + 1);
      expect((await draftsOf(c.id)).map((d) => d.id).sort()).toEqual([...ready.draftPostIds].sort());
    });

    it("LLM failure: invalid output after the repair ends the plan failed with llm.invalid_output, no drafts", async () => {
      const c = await campaign();
      model.control.addFault({ operation: "llm.campaign_plan", type: "invalid_json", times: 2 });
      const accepted = await plan(c.id);
      expect(await run(accepted.body.id)).toEqual({ kind: "ack" });
      const failed = await readPlan(c.id, accepted.body.id);
      expect(failed).toMatchObject({ status: "failed", lastError: { code: "llm.invalid_output" }, draftPostIds: [] });
      expect(await draftsOf(c.id)).toEqual([]);
    });

    it("LLM failure: an unavailable model is retried later, then the plan succeeds", async () => {
      const c = await campaign();
      model.control.addFault({ operation: "llm.campaign_plan", type: "server_error", times: 1 });
      const accepted = await plan(c.id);
      const first = await run(accepted.body.id);
      expect(first.kind).toBe("retry");
      expect((await readPlan(c.id, accepted.body.id)).status).toBe("generating");
      expect(await draftsOf(c.id)).toEqual([]);
      expect(await run(accepted.body.id, 2)).toEqual({ kind: "ack" });
      const ready = await readPlan(c.id, accepted.body.id);
      expect(ready.status).toBe("ready");
      expect(await draftsOf(c.id)).toHaveLength(ready.draftPostIds.length);
    });

    it("a campaign deleted before planning: POST /plan is 404; a plan already queued stops and says so", async () => {
      const gone = await campaign();
      expect((await call("DELETE", `/v1/campaigns/${gone.id}`, { token: key })).status).toBe(204);
      const res = await call("POST", `/v1/campaigns/${gone.id}/plan`, { token: key });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("campaign.not_found");

      const c = await campaign();
      const accepted = await plan(c.id);
      expect((await call("DELETE", `/v1/campaigns/${c.id}`, { token: key })).status).toBe(204);
      const calls = llmCalls();
      expect(await run(accepted.body.id)).toEqual({ kind: "ack" });
      const { data } = await db().entities.generation.get({ id: accepted.body.id }).go();
      expect(data).toMatchObject({ status: "failed", lastError: { code: "campaign.not_found" } });
      expect(data?.lastError?.message).toMatch(/deleted before/);
      expect(llmCalls()).toBe(calls);
      expect(await draftsOf(c.id)).toEqual([]);
    });

    it("a campaign deleted during planning: the plan stops and says so, no orphan drafts", async () => {
      const c = await campaign();
      model.control.addFault({ operation: "llm.campaign_plan", type: "slow", delayMs: 1_500, times: 1 });
      const accepted = await plan(c.id);
      const running = run(accepted.body.id);
      await sleep(500); // the model is answering
      expect((await call("DELETE", `/v1/campaigns/${c.id}`, { token: key })).status).toBe(204);
      expect(await running).toEqual({ kind: "ack" });
      const { data } = await db().entities.generation.get({ id: accepted.body.id }).go();
      expect(data).toMatchObject({ status: "failed", lastError: { code: "campaign.not_found" } });
      expect(data?.lastError?.message).toMatch(/while it was being planned/);
      expect(await draftsOf(c.id)).toEqual([]);
    });

    it("deleting a planned campaign removes its drafts, keeps the posts a user scheduled; racing a plan leaves no draft", async () => {
      const c = await campaign({ platforms: ["facebook"] });
      const accepted = await plan(c.id);
      await run(accepted.body.id);
      const ready = await readPlan(c.id, accepted.body.id);
      expect(ready.draftPostIds.length).toBeGreaterThan(1);
      const kept = ready.draftPostIds[0];
      const scheduled = await call("POST", `/v1/posts/${kept}/schedule`, {
        token: key,
        body: { scheduledFor: new Date(Date.now() + 3 * 86_400_000).toISOString() },
      });
      expect(scheduled.status, scheduled.text).toBe(200);
      expect((await call("DELETE", `/v1/campaigns/${c.id}`, { token: key })).status).toBe(204);
      expect((await draftsOf(c.id)).map((p) => [p.id, p.status])).toEqual([[kept, "scheduled"]]);
      await call("POST", `/v1/posts/${kept}/cancel`, { token: key });

      // A plan and the deletion at the same moment, several times: whatever the order, no draft stays.
      for (let i = 0; i < 3; i++) {
        const raced = await campaign({ platforms: ["facebook"] });
        const p = await plan(raced.id);
        await Promise.all([
          run(p.body.id),
          sleep(i * 150).then(() => call("DELETE", `/v1/campaigns/${raced.id}`, { token: key })),
        ]);
        expect((await draftsOf(raced.id)).filter((d) => d.status === "draft")).toEqual([]);
      }
    });
  });
});
