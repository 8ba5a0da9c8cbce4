import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { z } from "zod";
import type { Fault, FaultSpec } from "../simulators/faults";
import { contextOf, hash } from "./context";
import { LLM_FAULT_TYPES, type LlmFaultSpec, newLlmFaults } from "./faults";
import { answerFor } from "./schema-answer";

export type { LlmFaultSpec, LlmFaultType } from "./faults";

/** One request the offline model answered (or faulted), for tests: "was the model called again?" */
export interface OfflineCall {
  operation: string;
  at: string;
  model: string;
  fault?: string;
  promptTokens: number;
  completionTokens: number;
}

export interface OfflineModelControl {
  addFault(spec: LlmFaultSpec): Fault;
  addFaults(specs: LlmFaultSpec[], seed?: number): Fault[];
  faults(): Fault[];
  clearFaults(id?: string): void;
  calls(filter?: { operation?: string }): OfflineCall[];
  reset(): void;
}

export interface OfflineModel {
  /** Origin, e.g. `http://127.0.0.1:43123`. */
  url: string;
  /** `{url}/v1` → OPENAI_BASE_URL. */
  baseUrl: string;
  /** `{url}/control`: the HTTP twin of `control`. */
  controlUrl: string;
  control: OfflineModelControl;
  stop(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: OpenAI request bodies are checked loosely on purpose
type Body = Record<string, any>;

/**
 * Studio's offline model: an OpenAI-compatible `POST /v1/chat/completions` that answers every
 * JSON schema Studio sends with deterministic, plausible content built from the request (the
 * brand profile, the platform, the source caption), calls tools, reports token usage (o200k
 * counts), and takes the platform simulators' control and fault API (README.md). The local
 * runtime starts it and points OPENAI_BASE_URL at it when no OPENAI_API_KEY is set, so the real
 * `openai` client runs over HTTP, as in production.
 *
 * @example
 * const model = await startOfflineModel({ port: 0 });
 * process.env.OPENAI_BASE_URL = model.baseUrl;
 * model.control.addFault({ operation: "llm.weekly_plan", type: "invalid_json" });
 */
export async function startOfflineModel(opts: { port?: number; host?: string } = {}): Promise<OfflineModel> {
  let faults = newLlmFaults();
  let calls: OfflineCall[] = [];
  const sockets = new Set<import("node:net").Socket>();

  const control: OfflineModelControl = {
    addFault: (spec) => faults.add(spec as unknown as FaultSpec),
    addFaults(specs, seed) {
      if (seed !== undefined) faults.seed(seed);
      return specs.map((s) => faults.add(s as unknown as FaultSpec));
    },
    faults: () => faults.list(),
    clearFaults: (id) => faults.clear(id),
    calls: (filter = {}) => calls.filter((c) => !filter.operation || c.operation === filter.operation),
    reset() {
      faults = newLlmFaults();
      calls = [];
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://offline");
    const path = url.pathname.replace(/\/+$/, "");
    if (req.method === "GET" && path === "/health") return send(res, 200, { status: "ok" });
    if (req.method === "GET" && path === "/v1/models") {
      return send(res, 200, { object: "list", data: [{ id: "gpt-4o", object: "model", owned_by: "studio-offline" }] });
    }
    if (path.startsWith("/control/")) return controlRoute(control, req, res, path.slice("/control".length), url);
    if (req.method === "POST" && path === "/v1/chat/completions") {
      const body = (await readJson(req)) as Body | undefined;
      if (!body || !Array.isArray(body.messages)) {
        return send(res, 400, {
          error: { message: "messages is required", type: "invalid_request_error", code: null },
        });
      }
      return completion(body, req, res);
    }
    send(res, 404, { error: { message: `Unknown path ${req.method} ${path}`, type: "invalid_request_error" } });
  };

  const completion = async (body: Body, req: IncomingMessage, res: ServerResponse) => {
    const model = typeof body.model === "string" ? body.model : "gpt-4o";
    const format = body.response_format?.type === "json_schema" ? body.response_format.json_schema : undefined;
    const tools: Body[] = Array.isArray(body.tools) ? body.tools : [];
    const operation = format ? `llm.${format.name ?? "json"}` : tools.length ? "llm.tools" : "llm.text";
    const promptTokens = promptTokensOf(body);
    const maxTokens = Number(body.max_completion_tokens ?? body.max_tokens ?? 4096);
    const fault = faults.take(operation, undefined) as unknown as (LlmFaultSpec & { id: string }) | undefined;
    const record = (completionTokens: number) =>
      calls.push({
        operation,
        at: new Date().toISOString(),
        model,
        fault: fault?.type,
        promptTokens,
        completionTokens,
      });

    switch (fault?.type) {
      case "rate_limit": {
        record(0);
        const after = fault.retryAfterSec ?? 1;
        return send(
          res,
          429,
          { error: { message: "Rate limit reached for requests", type: "requests", code: "rate_limit_exceeded" } },
          { "retry-after": String(after), "retry-after-ms": String(after * 1000) },
        );
      }
      case "server_error":
        record(0);
        return send(res, fault.status ?? 500, {
          error: { message: "The server had an error while processing your request.", type: "server_error" },
        });
      case "reset":
        record(0);
        req.socket.destroy();
        return;
      case "timeout":
        record(0);
        if (fault.delayMs) {
          await sleep(fault.delayMs);
          req.socket.destroy();
        }
        return; // never answers
      case "slow":
        await sleep(fault.delayMs ?? 2000);
        if (res.destroyed || req.socket.destroyed) return record(0);
        break;
    }

    const ctx = contextOf(body.messages);
    let message: Body;
    let finish = "stop";
    if (format?.schema) {
      const answer = answerFor(format.schema, ctx);
      let content = JSON.stringify(answer);
      if (fault?.type === "invalid_json") {
        content = `Sure! Here is the JSON you asked for:\n${content.slice(0, Math.max(10, Math.floor(content.length * 0.6)))}`;
      } else if (fault?.type === "schema_mismatch") {
        content = JSON.stringify(breakSchema(answer, format.schema));
      }
      message = { role: "assistant", content, refusal: null };
    } else if (tools.length && lastRole(body.messages) !== "tool") {
      const tool = chooseTool(tools, ctx.userText);
      const args = answerFor(tool.function?.parameters ?? { type: "object", properties: {} }, ctx);
      const id = `call_${hash(JSON.stringify(body.messages)).toString(36)}`;
      message = {
        role: "assistant",
        content: null,
        refusal: null,
        tool_calls: [
          { id, type: "function", function: { name: tool.function?.name, arguments: JSON.stringify(args) } },
        ],
      };
      finish = "tool_calls";
    } else {
      const last = body.messages.at(-1);
      const text =
        lastRole(body.messages) === "tool"
          ? `Done. ${summarize(String(last?.content ?? ""))}`
          : `Here is what I suggest for ${ctx.brandName}: ${ctx.topics.slice(0, 2).join(" and ") || "keep posting consistently"}.`;
      message = { role: "assistant", content: text, refusal: null };
    }
    if (fault?.type === "refusal") {
      message = { role: "assistant", content: null, refusal: "I'm sorry, but I can't help with that request." };
    }
    let completionTokens =
      countTokens(String(message.content ?? message.refusal ?? "")) +
      (message.tool_calls ? countTokens(JSON.stringify(message.tool_calls)) : 0);
    if (fault?.type === "length" || completionTokens > maxTokens) {
      const content = String(message.content ?? "");
      message = { ...message, content: cutToTokens(content, Math.min(maxTokens, Math.ceil(completionTokens / 2))) };
      completionTokens = Math.min(maxTokens, countTokens(String(message.content)));
      finish = "length";
    }
    record(completionTokens);
    send(res, 200, {
      id: `chatcmpl-offline-${hash(JSON.stringify(body)).toString(36)}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model,
      system_fingerprint: "studio-offline-1",
      choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, 500, { error: { message: String(err), type: "server_error" } });
      else res.destroy();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host ?? "127.0.0.1"}:${port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    controlUrl: `${url}/control`,
    control,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Prompt tokens as OpenAI counts chat input: message contents + ~4 per message, the schema, the tools. */
function promptTokensOf(body: Body): number {
  let n = 3;
  for (const m of body.messages as Body[]) {
    n += 4;
    const c = typeof m.content === "string" ? m.content : m.content ? JSON.stringify(m.content) : "";
    n += countTokens(c);
    if (m.tool_calls) n += countTokens(JSON.stringify(m.tool_calls));
  }
  if (body.response_format?.json_schema?.schema)
    n += countTokens(JSON.stringify(body.response_format.json_schema.schema));
  if (Array.isArray(body.tools)) n += countTokens(JSON.stringify(body.tools));
  return n;
}

function cutToTokens(text: string, tokens: number): string {
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (countTokens(text.slice(0, mid)) <= tokens) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo);
}

/** The answer with its first required field given the wrong type: valid JSON, invalid for the schema. */
// biome-ignore lint/suspicious/noExplicitAny: JSON schema
function breakSchema(answer: unknown, schema: Record<string, any>): unknown {
  if (!answer || typeof answer !== "object" || Array.isArray(answer)) return { unexpected: true };
  const out = { ...(answer as Record<string, unknown>) };
  const key = (schema.required as string[] | undefined)?.[0] ?? Object.keys(out)[0];
  if (key === undefined) return { unexpected: true };
  const v = out[key];
  out[key] = typeof v === "string" ? 42 : typeof v === "number" ? "forty-two" : Array.isArray(v) ? "none" : 7;
  return out;
}

function chooseTool(tools: Body[], text: string): Body {
  const lower = text.toLowerCase();
  const spaced = (name: string) => name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return (
    tools.find((t) => lower.includes(String(t.function?.name ?? "").toLowerCase())) ??
    tools.find((t) => lower.includes(spaced(String(t.function?.name ?? "")))) ??
    (tools[0] as Body)
  );
}

const lastRole = (messages: Body[]) => messages.at(-1)?.role;
const summarize = (s: string) => (s.length > 200 ? `${s.slice(0, 197)}…` : s);

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8") || "null");
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

const faultSchema = z.object({
  operation: z.string().min(1),
  type: z.enum(LLM_FAULT_TYPES),
  times: z.number().int().positive().optional(),
  rate: z.number().min(0).max(1).optional(),
  retryAfterSec: z.number().nonnegative().optional(),
  delayMs: z.number().nonnegative().optional(),
  status: z.number().int().min(400).max(599).optional(),
});
const faultsBody = z.union([
  faultSchema,
  z.object({ seed: z.number().int().optional(), faults: z.array(faultSchema) }),
]);

async function controlRoute(
  control: OfflineModelControl,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  url: URL,
) {
  const route = `${req.method} ${path}`;
  switch (route) {
    case "GET /faults":
      return send(res, 200, { faults: control.faults() });
    case "POST /faults": {
      const p = faultsBody.safeParse(await readJson(req));
      if (!p.success) {
        return send(res, 400, {
          error: {
            code: "validation_failed",
            details: p.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
          },
        });
      }
      const faults = "faults" in p.data ? control.addFaults(p.data.faults, p.data.seed) : [control.addFault(p.data)];
      return send(res, 201, { faults });
    }
    case "DELETE /faults":
      control.clearFaults(url.searchParams.get("id") ?? undefined);
      return send(res, 200, { faults: control.faults() });
    case "GET /calls": {
      const calls = control.calls({ operation: url.searchParams.get("operation") ?? undefined });
      const counts: Record<string, number> = {};
      for (const c of calls) counts[c.operation] = (counts[c.operation] ?? 0) + 1;
      return send(res, 200, { counts, calls: calls.slice(-500) });
    }
    case "POST /reset":
      control.reset();
      return send(res, 200, { ok: true });
  }
  send(res, 404, { error: { code: "not_found", message: `Unknown control route ${route}` } });
}
