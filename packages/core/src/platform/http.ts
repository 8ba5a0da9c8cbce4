import { Agent, Dispatcher } from "undici";
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

/** One keep-alive pool for every platform call (undici's defaults). */
let pool: Agent | undefined;

/**
 * A dispatcher over the shared pool that notes whether the request left: undici calls a
 * handler's `onConnect` right before it writes the request to a connected socket (TCP and TLS
 * done). A failure before that — refused, DNS, connect or TLS failure, our timeout while
 * connecting — proves the platform never received the request (`sent` stays false).
 */
class SentTracker extends Dispatcher {
  sent = false;
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
    const onConnect = (abort: (err?: Error) => void) => {
      this.sent = true;
      return handler.onConnect?.(abort);
    };
    const tracked = new Proxy(handler, {
      get(target, key) {
        if (key === "onConnect") return onConnect;
        const v = Reflect.get(target, key);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    pool ??= new Agent();
    return pool.dispatch(options, tracked);
  }
}

/**
 * One HTTP exchange with a platform: explicit timeout, no retry, network failures classified
 * (with whether the request left: `classifyNetworkError`).
 * The answer (any status) is returned for the adapter's own classifier; nothing thrown here
 * carries a token (URLs and messages are redacted).
 */
export async function send(opts: AdapterOptions, call: HttpCall): Promise<HttpAnswer> {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = typeof opts.timeoutMs === "function" ? opts.timeoutMs() : (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = AbortSignal.timeout(Math.max(1, timeoutMs));
  // A test's own fetch cannot report whether the request left: classified by the error's code.
  const tracker = opts.fetch ? undefined : new SentTracker();
  try {
    const init = { method: call.method, headers: call.headers, body: call.body, signal, dispatcher: tracker };
    const res = await doFetch(call.url, init as RequestInit);
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
    throw classifyNetworkError(call, err, tracker?.sent);
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
