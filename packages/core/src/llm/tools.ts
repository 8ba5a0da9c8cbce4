import { zodFunction } from "openai/helpers/zod";
import type { ChatCompletion, ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import type { z } from "zod";
import { type EntryPoint, entryPointSpec } from "../config/llm";
import { transportReason, unavailableFrom } from "./classify";
import { countingClient } from "./client";
import { LlmRefusedError } from "./errors";
import { assertBudget, recordUsage } from "./usage";

/** A tool the model may call: name, what it does (and cannot do), strict zod parameters. */
export interface ToolDef<P extends z.ZodTypeAny = z.ZodTypeAny> {
  name: string;
  description: string;
  parameters: P;
}

/** One tool call of the model, its arguments checked against the tool's schema. */
export type ToolCallRequest =
  | { id: string; tool: string; ok: true; args: unknown }
  | { id: string; tool: string; ok: false; rawArgs: string; error: string };

export interface TurnResult {
  /** The assistant message to append to the conversation before the tool results. */
  message: ChatCompletionMessageParam;
  /** The text reply (null when the model only called tools). */
  reply: string | null;
  toolCalls: ToolCallRequest[];
  finishReason: string | null;
  usage: { promptTokens: number; completionTokens: number; costUsd: number };
}

/**
 * One model turn with tools (for the agent): the entry point's timeout, retries and budget
 * check, the call in the ledger, tool arguments validated with each tool's zod schema — an
 * invalid argument is returned as `ok: false` with the problem, for the caller to answer the
 * model with a tool error (never a failed request). The loop over turns (max turns, executing
 * tools, idempotency of their effects) belongs to the caller.
 *
 * @example
 * const turn = await chatTurn({ workspaceId, entryPoint: "agent", messages, tools: [schedulePostTool] });
 * for (const call of turn.toolCalls) if (call.ok) await run(call.tool, call.args);
 */
export async function chatTurn(opts: {
  workspaceId: string;
  entryPoint: EntryPoint;
  messages: ChatCompletionMessageParam[];
  tools: ToolDef[];
  budgetUsd?: number | null;
  resourceId?: string;
  promptVersion?: string;
  deadline?: number;
}): Promise<TurnResult> {
  const spec = entryPointSpec(opts.entryPoint);
  await assertBudget(opts.workspaceId, opts.budgetUsd);
  const tools: ChatCompletionTool[] = opts.tools.map((t) =>
    zodFunction({ name: t.name, description: t.description, parameters: t.parameters }),
  );
  const started = Date.now();
  const counter = { attempts: 0 };
  const base = {
    workspaceId: opts.workspaceId,
    entryPoint: opts.entryPoint,
    promptVersion: opts.promptVersion,
    resourceId: opts.resourceId,
    repair: false,
  };
  let completion: ChatCompletion;
  try {
    completion = await countingClient(counter).chat.completions.create(
      { model: spec.model, messages: opts.messages, tools, max_completion_tokens: spec.maxOutputTokens },
      {
        timeout: spec.timeoutMs,
        maxRetries: spec.maxRetries,
        signal: opts.deadline ? AbortSignal.timeout(Math.max(1, opts.deadline - Date.now())) : undefined,
      },
    );
  } catch (err) {
    await recordUsage({
      ...base,
      model: spec.model,
      promptTokens: 0,
      completionTokens: 0,
      latencyMs: Date.now() - started,
      outcome: "unavailable",
      errorCode: transportReason(err),
      attempts: counter.attempts,
    });
    throw unavailableFrom(err, { entryPoint: opts.entryPoint, model: spec.model });
  }
  const usage = {
    promptTokens: completion.usage?.prompt_tokens ?? 0,
    completionTokens: completion.usage?.completion_tokens ?? 0,
  };
  const choice = completion.choices[0];
  const refused = Boolean(choice?.message?.refusal) || choice?.finish_reason === "content_filter";
  const costUsd = await recordUsage({
    ...base,
    model: completion.model || spec.model,
    ...usage,
    latencyMs: Date.now() - started,
    outcome: refused ? "refused" : choice?.finish_reason === "length" ? "length" : "ok",
    attempts: counter.attempts,
  });
  if (refused) {
    throw new LlmRefusedError("The language model declined this request.", {
      entryPoint: opts.entryPoint,
      finishReason: choice?.finish_reason ?? null,
      rawText: choice?.message?.refusal ?? undefined,
      usage,
    });
  }
  const toolCalls: ToolCallRequest[] = [];
  for (const call of choice?.message?.tool_calls ?? []) {
    if (call.type !== "function") continue;
    const def = opts.tools.find((t) => t.name === call.function.name);
    const rawArgs = call.function.arguments;
    if (!def) {
      toolCalls.push({ id: call.id, tool: call.function.name, ok: false, rawArgs, error: "No such tool." });
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(rawArgs);
    } catch {
      toolCalls.push({ id: call.id, tool: def.name, ok: false, rawArgs, error: "Arguments are not valid JSON." });
      continue;
    }
    const parsed = def.parameters.safeParse(json);
    toolCalls.push(
      parsed.success
        ? { id: call.id, tool: def.name, ok: true, args: parsed.data }
        : {
            id: call.id,
            tool: def.name,
            ok: false,
            rawArgs,
            error: parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "),
          },
    );
  }
  const message: ChatCompletionMessageParam = {
    role: "assistant",
    content: choice?.message?.content ?? null,
    ...(choice?.message?.tool_calls?.length ? { tool_calls: choice.message.tool_calls } : {}),
  };
  return {
    message,
    reply: choice?.message?.content ?? null,
    toolCalls,
    finishReason: choice?.finish_reason ?? null,
    usage: { ...usage, costUsd },
  };
}
