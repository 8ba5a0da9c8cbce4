import { zodResponseFormat } from "openai/helpers/zod";
import type { ChatCompletion, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { z } from "zod";
import { entryPointSpec } from "../config/llm";
import { logger } from "../util/logger";
import { transportReason, unavailableFrom } from "./classify";
import { countingClient } from "./client";
import { type LlmFailureInfo, LlmInvalidOutputError, LlmRefusedError, type LlmUsage } from "./errors";
import type { PromptDef } from "./prompt";
import { trimToBudget } from "./tokens";
import { assertBudget, recordUsage, type UsageEntry } from "./usage";

export interface GenerateOptions<I extends Record<string, unknown>, S extends z.ZodTypeAny> {
  workspaceId: string;
  prompt: PromptDef<I, S>;
  input: I;
  /** The resource the call works for (plan id, repurpose id): written to the ledger. */
  resourceId?: string;
  /** The workspace's `llmMonthlyBudgetUsd` (null: the default budget). */
  budgetUsd?: number | null;
  /**
   * Rules the schema cannot say, checked by code on a schema-valid answer: each string is one
   * broken rule, fed back to the model in the one repair.
   */
  check?: (data: z.infer<S>) => string[];
  /** Absolute deadline (epoch ms) for every call, e.g. the queue consumer's remaining time. */
  deadline?: number;
  /** Aborts the call (e.g. the run lost its lease: generation/heartbeat.ts). */
  signal?: AbortSignal;
}

export interface CallSummary {
  repair: boolean;
  outcome: UsageEntry["outcome"];
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  latencyMs: number;
}

export interface GenerateResult<T> {
  data: T;
  /** Rules still broken after the repair (the caller drops or reports what breaks them). */
  issues: string[];
  repaired: boolean;
  calls: CallSummary[];
  usage: LlmUsage & { costUsd: number };
  /** Tokens of the rendered input after trimming, and which sections were shortened. */
  inputTokens: number;
  trimmed: string[];
}

/** What one call produced, before the decision to repair. */
type Attempt<T> =
  | { kind: "ok"; data: T; issues: string[] }
  | { kind: "bad"; problem: string; issues: string[]; content: string; outcome: "invalid_output" | "length" };

/**
 * The one way Studio asks a model for structured output: strict JSON schema from the prompt's
 * zod schema, the entry point's timeout, retries and token budgets, the monthly budget checked
 * before each call, every call (and the repair) written to the usage ledger, and exactly one
 * repair when the answer is not usable — invalid JSON, a schema mismatch, a `length` stop, or a
 * rule of `check` broken — with the problem fed back. A refusal is never retried
 * (`llm.refused`); transport failures after the SDK's retries are `llm.unavailable`; no usable
 * answer after the repair is `llm.invalid_output`. If the repair fails but the first answer was
 * schema-valid, the first answer is returned with its broken rules in `issues`.
 *
 * @example
 * const { data, issues } = await generateObject({ workspaceId, prompt: weeklyPlanPrompt, input, check });
 */
export async function generateObject<I extends Record<string, unknown>, S extends z.ZodTypeAny>(
  opts: GenerateOptions<I, S>,
): Promise<GenerateResult<z.infer<S>>> {
  const { prompt } = opts;
  const spec = entryPointSpec(prompt.entryPoint);
  const fitted = trimToBudget(opts.input, spec.inputTokenBudget, prompt.trimOrder);
  const messages: ChatCompletionMessageParam[] = [
    { role: "system", content: prompt.system },
    { role: "user", content: prompt.user(fitted.value) },
  ];
  const calls: CallSummary[] = [];
  const info: LlmFailureInfo = { entryPoint: prompt.entryPoint, model: spec.model };

  const call = async (repair: boolean, maxTokens: number): Promise<Attempt<z.infer<S>>> => {
    await assertBudget(opts.workspaceId, opts.budgetUsd);
    const started = Date.now();
    const counter = { attempts: 0 };
    const ledger = async (outcome: UsageEntry["outcome"], usage: LlmUsage, model: string, errorCode?: string) => {
      const latencyMs = Date.now() - started;
      const costUsd = await recordUsage({
        workspaceId: opts.workspaceId,
        entryPoint: prompt.entryPoint,
        promptVersion: `${prompt.name}@${prompt.version}`,
        resourceId: opts.resourceId,
        model,
        ...usage,
        latencyMs,
        outcome,
        errorCode,
        repair,
        attempts: counter.attempts,
      });
      calls.push({ repair, outcome, ...usage, costUsd, latencyMs });
    };
    let completion: ChatCompletion;
    try {
      completion = await countingClient(counter).chat.completions.create(
        {
          model: spec.model,
          messages,
          response_format: zodResponseFormat(prompt.schema, prompt.name),
          max_completion_tokens: maxTokens,
        },
        {
          timeout: spec.timeoutMs,
          maxRetries: spec.maxRetries,
          signal: callSignal(opts.deadline, opts.signal),
        },
      );
    } catch (err) {
      await ledger("unavailable", { promptTokens: 0, completionTokens: 0 }, spec.model, transportReason(err));
      throw unavailableFrom(err, info);
    }
    const usage = {
      promptTokens: completion.usage?.prompt_tokens ?? 0,
      completionTokens: completion.usage?.completion_tokens ?? 0,
    };
    const model = completion.model || spec.model;
    const choice = completion.choices[0];
    const content = choice?.message?.content ?? "";
    const finish = choice?.finish_reason ?? null;
    if (choice?.message?.refusal || finish === "content_filter") {
      await ledger("refused", usage, model, "llm.refused");
      throw new LlmRefusedError(
        "The language model declined this request. Change the inputs (notes, brand profile, source caption) and try again.",
        { ...info, finishReason: finish, rawText: choice?.message?.refusal ?? content, usage },
      );
    }
    if (finish === "length") {
      await ledger("length", usage, model, "length");
      return {
        kind: "bad",
        outcome: "length",
        problem: `The answer was cut off at ${maxTokens} tokens.`,
        issues: ["answer cut off (length)"],
        content,
      };
    }
    let json: unknown;
    try {
      json = JSON.parse(content);
    } catch (err) {
      await ledger("invalid_output", usage, model, "invalid_json");
      return {
        kind: "bad",
        outcome: "invalid_output",
        problem: `Your answer was not valid JSON (${(err as Error).message}).`,
        issues: ["invalid JSON"],
        content,
      };
    }
    const parsed = prompt.schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 20).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
      await ledger("invalid_output", usage, model, "schema_mismatch");
      return {
        kind: "bad",
        outcome: "invalid_output",
        problem: "Your answer did not match the JSON schema.",
        issues,
        content,
      };
    }
    await ledger("ok", usage, model);
    return { kind: "ok", data: parsed.data, issues: opts.check?.(parsed.data) ?? [] };
  };

  const first = await call(false, spec.maxOutputTokens);
  let result: { data: z.infer<S>; issues: string[]; repaired: boolean } | undefined;
  if (first.kind === "ok" && first.issues.length === 0) {
    result = { data: first.data, issues: [], repaired: false };
  } else {
    // The one repair: the problem goes back to the model; a cut-off answer gets more room.
    const feedback =
      first.kind === "ok"
        ? `Some items of your answer break these rules:\n- ${first.issues.join("\n- ")}\nAnswer again with the whole JSON object, every rule respected.`
        : first.outcome === "length"
          ? "Your previous answer was cut off. Answer again, more concisely, with the complete JSON object."
          : `${first.problem}\n- ${first.issues.join("\n- ")}\nAnswer again with only the JSON object matching the schema.`;
    if (first.kind === "bad" && first.outcome !== "length") {
      messages.push({ role: "assistant", content: first.content.slice(0, 4_000) });
    } else if (first.kind === "ok") {
      messages.push({ role: "assistant", content: JSON.stringify(first.data) });
    }
    messages.push({ role: "user", content: feedback });
    const maxTokens =
      first.kind === "bad" && first.outcome === "length" ? Math.ceil(spec.maxOutputTokens * 1.5) : spec.maxOutputTokens;
    let second: Attempt<z.infer<S>>;
    try {
      second = await call(true, maxTokens);
    } catch (err) {
      // The repair itself failed (refused, unavailable, budget): a usable first answer still counts.
      if (first.kind === "ok") {
        logger.warn("LLM repair failed; keeping the first answer", { entryPoint: prompt.entryPoint, err });
        second = { kind: "bad", outcome: "invalid_output", problem: "repair failed", issues: [], content: "" };
      } else throw err;
    }
    if (second.kind === "ok") result = { data: second.data, issues: second.issues, repaired: true };
    else if (first.kind === "ok") result = { data: first.data, issues: first.issues, repaired: true };
    else {
      throw new LlmInvalidOutputError(
        "The language model gave no valid answer after one repair. Please try again.",
        { ...info, finishReason: second.outcome, rawText: second.content, usage: sum(calls) },
        second.issues,
      );
    }
  }
  const usage = sum(calls);
  logger.debug("llm generation", {
    workspaceId: opts.workspaceId,
    entryPoint: prompt.entryPoint,
    resourceId: opts.resourceId,
    calls: calls.length,
    usage: `${usage.promptTokens} in / ${usage.completionTokens} out`,
    costUsd: usage.costUsd,
    repaired: result.repaired,
    issuesLeft: result.issues.length,
  });
  return { ...result, calls, usage, inputTokens: fitted.tokens, trimmed: fitted.trimmed };
}

function sum(calls: CallSummary[]) {
  return calls.reduce(
    (t, c) => ({
      promptTokens: t.promptTokens + c.promptTokens,
      completionTokens: t.completionTokens + c.completionTokens,
      costUsd: Math.round((t.costUsd + c.costUsd) * 1e8) / 1e8,
    }),
    { promptTokens: 0, completionTokens: 0, costUsd: 0 },
  );
}

/** The call's abort signal: the deadline's timeout and the caller's signal, whichever fires first. */
function callSignal(deadline: number | undefined, signal: AbortSignal | undefined): AbortSignal | undefined {
  const timeout = deadline ? AbortSignal.timeout(Math.max(1, deadline - Date.now())) : undefined;
  if (timeout && signal) return AbortSignal.any([timeout, signal]);
  return timeout ?? signal;
}
