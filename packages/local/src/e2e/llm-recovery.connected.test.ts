import { db } from "@studio/core/db/service";
import { armGenerationCrash, disarmGenerationCrashes } from "@studio/core/generation/crash";
import { sendMessage } from "@studio/core/queue/sqs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LlmStudio, startLlmStudio } from "../testing/llm";

/**
 * A crashed or cut-off `llm` worker, through the API, the `llm` queue and the offline model:
 * the lease (and the message's visibility) are short and renewed by a heartbeat while a run
 * lasts, so a dead worker's generation is resumed after one lease — 4 s here
 * (`STUDIO_LLM_LEASE_SECONDS`), 60 s in production (config/jobs.ts), not the 30 min the
 * queue's visibility used to be — and a live run is never run twice at once: not by a
 * duplicate message, not after it lost its lease.
 */
const LEASE_SECONDS = 4;

interface PlanBody {
  id: string;
  status: string;
  draftPostIds: string[];
  lastError: { code: string } | null;
}

describe("llm worker crash recovery and exclusive runs (connected)", () => {
  let s: LlmStudio;
  let key: string;
  let workspaceId: string;
  beforeAll(async () => {
    process.env.STUDIO_LLM_LEASE_SECONDS = String(LEASE_SECONDS);
    s = await startLlmStudio();
    // Long enough for the "slow" answers below; the lease, not this timeout, is under test.
    process.env.STUDIO_LLM_TIMEOUT_MS = "20000";
    ({ key, id: workspaceId } = await s.workspace("Recovery Co"));
    await s.connect(key, "instagram");
    await s.connect(key, "facebook");
  });
  afterEach(() => {
    disarmGenerationCrashes();
    s.model.control.clearFaults();
  });
  afterAll(async () => {
    delete process.env.STUDIO_LLM_LEASE_SECONDS;
    await s?.stop();
  });

  const planCalls = () => s.model.control.calls({ operation: "llm.weekly_plan" }).length;
  const generation = async (id: string) => (await db().entities.generation.get({ id }).go({ consistent: true })).data;
  const post = async () => {
    const res = await s.http<PlanBody>("POST", "/v1/plans", {
      key,
      body: { postsPerWeek: 2, platforms: ["facebook"] },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.id;
  };
  const drafts = async (planId: string) => {
    const res = await s.http<{ items: Array<{ id: string; planId: string | null }> }>(
      "GET",
      "/v1/posts?status=draft&limit=200",
      { key },
    );
    return res.body.items.filter((p) => p.planId === planId).map((p) => p.id);
  };

  it("a worker that dies right after its claim: the next delivery takes over once the lease ends, one model call", async () => {
    armGenerationCrash("after_claim");
    const before = planCalls();
    const started = Date.now();
    const id = await post();
    const done = await s.settle<PlanBody>(key, `/v1/plans/${id}`, 60_000);
    expect(done.status).toBe("ready");
    // Resumed after one lease (plus a poll), not after the old 1,800 s visibility.
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000 - 500);
    expect((await generation(id))?.attempts).toBe(2);
    expect(planCalls() - before).toBe(1);
    expect((await drafts(id)).sort()).toEqual([...done.draftPostIds].sort());
  });

  it("a worker that dies after the model answered (checkpoint stored): resumed from the checkpoint, never asked again", async () => {
    armGenerationCrash("after_checkpoint");
    const before = planCalls();
    const id = await post();
    const done = await s.settle<PlanBody>(key, `/v1/plans/${id}`, 60_000);
    expect(done.status).toBe("ready");
    const g = await generation(id);
    expect(g?.attempts).toBe(2);
    expect(g?.leaseOwner).toBeUndefined();
    expect(planCalls() - before).toBe(1);
    expect(done.draftPostIds).toHaveLength(2);
    expect((await drafts(id)).sort()).toEqual([...done.draftPostIds].sort());
  });

  it("a run longer than two leases keeps its lease by heartbeat; a duplicate message meanwhile is put back, not run", async () => {
    // The model takes 2.5 leases to answer. Without the heartbeat the lease would lapse and the
    // duplicate below would claim it and call the model a second time (charged twice).
    s.model.control.addFault({ operation: "llm.weekly_plan", type: "slow", delayMs: LEASE_SECONDS * 2500, times: 1 });
    const before = planCalls();
    const id = await post();
    await waitUntil(() => planCalls() > before, 20_000);
    await sendMessage("llm", { kind: "generate", feature: "weeklyPlan", workspaceId, id });
    const done = await s.settle<PlanBody>(key, `/v1/plans/${id}`, 60_000);
    expect(done.status).toBe("ready");
    expect((await generation(id))?.attempts).toBe(1);
    expect(planCalls() - before).toBe(1);
    // The duplicate comes back after the lease ended, finds the plan ready and is acknowledged.
    await waitUntil(async () => (await queueDepth()) === 0, 30_000);
    expect(await drafts(id)).toHaveLength(2);
  });

  it("a run that loses its lease stops (its model call aborted) and writes nothing; the next delivery resumes it", async () => {
    s.model.control.addFault({ operation: "llm.weekly_plan", type: "slow", delayMs: LEASE_SECONDS * 1500, times: 1 });
    const failuresBefore = await failedCalls();
    const id = await post();
    // Claimed: the run is gathering its inputs or already waiting for the (slow) model.
    await waitUntil(async () => (await generation(id))?.leaseOwner !== undefined, 20_000);
    // Another worker takes the generation over (as if this one had been cut off from the table).
    const stolenUntil = new Date(Date.now() + LEASE_SECONDS * 2000).toISOString();
    await db()
      .entities.generation.patch({ id })
      .set({ leaseOwner: "run_other", leaseUntil: stolenUntil })
      .go({ response: "none" });
    // The cut-off run's model call would have answered by now: it was aborted and wrote nothing.
    await new Promise((r) => setTimeout(r, LEASE_SECONDS * 1500 + 500));
    const mid = await generation(id);
    expect(mid?.status).toBe("generating");
    expect(mid?.leaseOwner).toBe("run_other");
    expect(mid?.output).toBeUndefined();
    expect(await drafts(id)).toHaveLength(0);
    // The aborted call is in the ledger as a failed call (nothing answered, nothing lost from the bill).
    expect((await failedCalls()) - failuresBefore).toBe(1);
    // The other worker "dies" too: its lease lapses and the message resumes the work once.
    const done = await s.settle<PlanBody>(key, `/v1/plans/${id}`, 60_000);
    expect(done.status).toBe("ready");
    expect((await generation(id))?.attempts).toBe(2);
    expect((await drafts(id)).sort()).toEqual([...done.draftPostIds].sort());
  });

  async function failedCalls(): Promise<number> {
    const res = await s.http<{ byFeature: Array<{ feature: string; failures: number }> }>("GET", "/v1/usage", { key });
    return res.body.byFeature.find((f) => f.feature === "weeklyPlan")?.failures ?? 0;
  }

  async function queueDepth(): Promise<number> {
    const res = await s.api<{ items: Array<{ queue: string; visible: number; inFlight: number; delayed: number }> }>(
      "GET",
      "/v1/ops/queues",
    );
    const llm = (res.body.items ?? []).find((q) => q.queue === "llm");
    return llm ? llm.visible + llm.inFlight + llm.delayed : -1;
  }
});

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}
