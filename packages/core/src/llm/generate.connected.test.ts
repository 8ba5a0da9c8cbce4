import { type OfflineModel, startOfflineModel } from "@studio/local/offline-model/index";
import { connectedEnv } from "@studio/local/testing/connected";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { db } from "../db/service";
import { LlmBudgetExceededError, LlmInvalidOutputError, LlmRefusedError, LlmUnavailableError } from "./errors";
import { generateObject } from "./generate";
import { definePrompt, inputBlock } from "./prompt";
import { chatTurn } from "./tools";
import { summarizeUsage } from "./usage";

/**
 * The LLM module against the offline model over HTTP (the real `openai` client): every fault of
 * the offline model ends in a success after at most one repair or retry, or in its typed error,
 * and every call is in the ledger.
 */
const prompt = definePrompt({
  entryPoint: "repurpose",
  name: "module_test",
  version: "1",
  schema: z.object({
    items: z.array(z.object({ accountId: z.string(), caption: z.string(), hashtags: z.array(z.string()) })),
  }),
  system: "Write one caption per target.",
  user: (input: Record<string, unknown>) => inputBlock(input),
  trimOrder: ["history"],
});
const input = {
  brandProfile: { name: "Acme Coffee", tone: "warm", topics: ["espresso", "latte art"] },
  targets: [
    { accountId: "acct_a", platform: "instagram" },
    { accountId: "acct_b", platform: "tiktok" },
  ],
  history: Array.from({ length: 400 }, (_, i) => `old caption number ${i} about coffee and mornings`),
};

describe("llm module against the offline model (connected)", () => {
  let model: OfflineModel;
  let n = 0;
  const ws = () => `ws_module_${n}`;
  beforeAll(async () => {
    await connectedEnv();
    model = await startOfflineModel({ port: 0 });
    process.env.OPENAI_BASE_URL = model.baseUrl;
    process.env.STUDIO_LLM_TIMEOUT_MS = "700";
    process.env.STUDIO_LLM_MAX_RETRIES = "1";
  });
  afterEach(() => {
    model.control.clearFaults();
    n++;
  });
  afterAll(async () => {
    delete process.env.OPENAI_BASE_URL;
    delete process.env.STUDIO_LLM_TIMEOUT_MS;
    delete process.env.STUDIO_LLM_MAX_RETRIES;
    await model?.stop();
  });

  const ledger = async () => (await db().entities.llmUsage.query.byWorkspace({ workspaceId: ws() }).go()).data;
  const run = () => generateObject({ workspaceId: ws(), prompt, input });

  it("answers from the request: one item per target, echoing ids; input trimmed to the budget; usage recorded", async () => {
    const r = await run();
    expect(r.data.items.map((i) => i.accountId)).toEqual(["acct_a", "acct_b"]);
    expect(r.data.items[0]?.caption).toMatch(/Acme Coffee|espresso|latte/i);
    expect(r.repaired).toBe(false);
    expect(r.trimmed).toEqual(["history"]);
    expect(r.inputTokens).toBeLessThanOrEqual(1_500);
    const rows = await ledger();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ feature: "repurpose", outcome: "ok", repair: false, model: "gpt-4o" });
    expect(rows[0]?.promptTokens).toBeGreaterThan(100);
    expect(rows[0]?.costUsd).toBeGreaterThan(0);
    const usage = await summarizeUsage(ws(), "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z");
    expect(usage.totals.calls).toBe(1);
    expect(usage.byFeature[0]?.feature).toBe("repurpose");
  });

  it.each([["invalid_json"], ["schema_mismatch"], ["length"]] as const)(
    "%s once → one repair, then the answer; both calls in the ledger",
    async (type) => {
      model.control.addFault({ operation: "llm.module_test", type });
      const r = await run();
      expect(r.repaired).toBe(true);
      expect(r.data.items).toHaveLength(2);
      const rows = await ledger();
      expect(rows.map((x) => [x.outcome, x.repair]).sort()).toEqual(
        [
          [type === "length" ? "length" : "invalid_output", false],
          ["ok", true],
        ].sort(),
      );
    },
  );

  it.each([["invalid_json"], ["schema_mismatch"], ["length"]] as const)(
    "%s twice → llm.invalid_output after exactly one repair",
    async (type) => {
      model.control.addFault({ operation: "llm.module_test", type, times: 2 });
      await expect(run()).rejects.toBeInstanceOf(LlmInvalidOutputError);
      expect(await ledger()).toHaveLength(2);
    },
  );

  it("a refusal → llm.refused, never repaired", async () => {
    model.control.addFault({ operation: "llm.module_test", type: "refusal" });
    await expect(run()).rejects.toBeInstanceOf(LlmRefusedError);
    const rows = await ledger();
    expect(rows.map((r) => r.outcome)).toEqual(["refused"]);
  });

  it.each([
    ["rate_limit", { retryAfterSec: 1 }],
    ["server_error", {}],
    ["slow", { delayMs: 1_500 }],
    ["reset", {}],
  ] as const)("%s once → the SDK's retry succeeds", async (type, extra) => {
    model.control.addFault({ operation: "llm.module_test", type, ...extra });
    const r = await run();
    expect(r.data.items).toHaveLength(2);
    // One call in the ledger, its two HTTP requests (the SDK's retry) counted.
    expect((await ledger()).map((x) => [x.outcome, x.attempts])).toEqual([["ok", 2]]);
  });

  it.each([
    ["rate_limit", { retryAfterSec: 1 }, 1],
    ["server_error", {}, 10],
    ["timeout", { delayMs: 3_000 }, 10],
  ] as const)("%s on every attempt → llm.unavailable with Retry-After, in the ledger", async (type, extra, after) => {
    model.control.addFault({ operation: "llm.module_test", type, times: 5, ...extra });
    const err = await run().catch((e) => e);
    expect(err).toBeInstanceOf(LlmUnavailableError);
    expect((err as LlmUnavailableError).retryAfterSeconds).toBe(after);
    expect((err as LlmUnavailableError).status).toBe(503);
    expect((await ledger()).map((x) => [x.outcome, x.attempts])).toEqual([["unavailable", 2]]);
  });

  it("a spent monthly budget → llm.budget_exceeded before any call", async () => {
    await run();
    const calls = model.control.calls().length;
    const err = await generateObject({ workspaceId: ws(), prompt, input, budgetUsd: 0.000001 }).catch((e) => e);
    expect(err).toBeInstanceOf(LlmBudgetExceededError);
    expect((err as LlmBudgetExceededError).status).toBe(429);
    expect(model.control.calls().length).toBe(calls);
  });

  it("a domain rule broken once gets the repair; still broken → returned with its issues", async () => {
    let checks = 0;
    const r = await generateObject({
      workspaceId: ws(),
      prompt,
      input,
      check: () => (checks++ === 0 ? ["items.0.caption: too long"] : []),
    });
    expect(r.repaired).toBe(true);
    expect(r.issues).toEqual([]);
    const stubborn = await generateObject({ workspaceId: ws(), prompt, input, check: () => ["always broken"] });
    expect(stubborn.issues).toEqual(["always broken"]);
  });

  it("tool calls: the model picks the named tool with schema-valid arguments; usage recorded", async () => {
    const turn = await chatTurn({
      workspaceId: ws(),
      entryPoint: "agent",
      messages: [{ role: "user", content: "Please schedulePost for tomorrow" }],
      tools: [
        { name: "createDraftPost", description: "Creates a draft.", parameters: z.object({ caption: z.string() }) },
        {
          name: "schedulePost",
          description: "Schedules a post.",
          parameters: z.object({ postId: z.string(), scheduledFor: z.string() }),
        },
      ],
    });
    expect(turn.toolCalls).toHaveLength(1);
    expect(turn.toolCalls[0]).toMatchObject({ tool: "schedulePost", ok: true });
    expect(turn.usage.promptTokens).toBeGreaterThan(0);
    expect(await ledger()).toHaveLength(1);
  });
});
