import type { Platform } from "../platforms";
import { redactString } from "../util/logger";
import { type CallContext, classifyNetworkError, type PlatformUsage, usageFromHeaders } from "./classify";
import { PlatformError } from "./errors";

/** Options shared by the three adapters. */
export interface AdapterOptions {
  /** Base URL, version included for Graph (config/env.ts). */
  baseUrl: string;
  /**
   * Per-request timeout (connect + answer + body). Default 10 s. A function is asked before each
   * request: the publish worker derives it from the invocation's remaining time (publish/budget.ts).
   */
  timeoutMs?: number | (() => number);
  /**
   * Called with the usage headers of every Graph answer (success or not) so the engine can back
   * off before 100% (`isHighUsage`). `accountId` is the IG user / page id when known.
   */
  onUsage?: (info: { platform: Platform; operation: string; accountId?: string; usage: PlatformUsage }) => void;
  /** For tests: the fetch to use (default: global fetch). */
  fetch?: typeof fetch;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined when the body is not JSON. */
  json: unknown;
  text: string;
}

export interface HttpCall extends CallContext {
  method: "GET" | "POST";
  url: string;
  headers?: Record<string, string>;
  body?: string | URLSearchParams;
  accountId?: string;
}

/**
 * One HTTP exchange with a platform: explicit timeout, no retry, network failures classified.
 * The answer (any status) is returned for the adapter's own classifier; nothing thrown here
 * carries a token (URLs and messages are redacted).
 */
export async function send(opts: AdapterOptions, call: HttpCall): Promise<HttpAnswer> {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = typeof opts.timeoutMs === "function" ? opts.timeoutMs() : (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = AbortSignal.timeout(Math.max(1, timeoutMs));
  try {
    const res = await doFetch(call.url, { method: call.method, headers: call.headers, body: call.body, signal });
    // The body read is covered by the same timeout: a server that stalls mid-body is a timeout.
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (opts.onUsage && (call.platform === "instagram" || call.platform === "facebook")) {
      const usage = usageFromHeaders(res.headers);
      if (usage) opts.onUsage({ platform: call.platform, operation: call.operation, accountId: call.accountId, usage });
    }
    return { status: res.status, headers: res.headers, json, text };
  } catch (err) {
    if (err instanceof PlatformError) throw err;
    throw classifyNetworkError(call, err);
  }
}

/** A 2xx answer whose body is not what the API documents: nothing to act on. */
export function malformed(ctx: CallContext, answer: Pick<HttpAnswer, "status" | "text">, what: string): PlatformError {
  return new PlatformError({
    platform: ctx.platform,
    kind: ctx.final ? "unknown_outcome" : ctx.idempotent ? "retryable" : "unknown_outcome",
    code: ctx.final ? "platform.outcome_unknown" : "platform.bad_response",
    message: redactString(
      `${ctx.operation}: unexpected answer (HTTP ${answer.status}, ${what}): ${answer.text.slice(0, 200)}`,
    ),
    httpStatus: answer.status,
  });
}

/** Joins a base URL (with or without trailing slash) and a path. */
export function join(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}
