import * as http from "node:http";
import * as https from "node:https";
import { Readable } from "node:stream";
import { OutboundRefusedError } from "./errors";
import { GuardedHttpAgent, GuardedHttpsAgent, type LookupFunction } from "./guarded-agent";
import { checkOutboundUrl, type OutboundPolicy, outboundPolicy } from "./policy";

export interface OutboundInit {
  method?: "GET" | "HEAD";
  headers?: Record<string, string>;
  /** Aborts the whole exchange, redirects included (a deadline: `AbortSignal.timeout(ms)`). */
  signal?: AbortSignal;
  /** Redirects followed, each re-checked; one more is refused. Default 3. */
  maxRedirects?: number;
  /** Default: `outboundPolicy()` from the environment. */
  policy?: OutboundPolicy;
  /** Name resolution (default `dns.lookup`); tests resolve names to chosen addresses. */
  lookup?: LookupFunction;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** One request over a guarded agent; resolves with the response head (the body stays unread). */
function once(url: URL, init: OutboundInit, policy: OutboundPolicy): Promise<http.IncomingMessage> {
  const client = url.protocol === "https:" ? https : http;
  const agent =
    url.protocol === "https:" ? new GuardedHttpsAgent(policy.allowPrivate) : new GuardedHttpAgent(policy.allowPrivate);
  return new Promise((resolve, reject) => {
    const req = client.request(url, {
      method: init.method ?? "GET",
      headers: { "user-agent": "Studio media check", ...init.headers },
      agent,
      signal: init.signal,
      lookup: init.lookup,
    });
    req.once("response", resolve);
    req.once("error", reject);
    req.end();
  });
}

function toResponse(res: http.IncomingMessage, method: string): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined || name === "set-cookie") continue;
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const status = res.statusCode ?? 0;
  const empty = method === "HEAD" || status === 204 || status === 304 || status < 200;
  if (empty) res.resume();
  const body = empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
  if (status < 200 || status > 599) {
    res.destroy();
    throw new Error(`unexpected HTTP status ${status}`);
  }
  return new Response(body, { status, headers });
}

/**
 * The one way Studio calls a URL a user supplied (media links today; anything later). Checks
 * the URL (`checkOutboundUrl`: scheme, user info, port, literal address, local names), connects
 * only through agents that check every resolved address at connect time, and follows at most
 * `maxRedirects` redirects, each one checked again the same way. A refusal throws
 * `OutboundRefusedError`, whose message says nothing about the target; network errors and
 * aborts are thrown as Node reports them.
 *
 * @example
 * const res = await outboundFetch(url, { method: "HEAD", signal: AbortSignal.timeout(8_000) });
 */
export async function outboundFetch(input: string | URL, init: OutboundInit = {}): Promise<Response> {
  const policy = init.policy ?? outboundPolicy();
  const maxRedirects = init.maxRedirects ?? 3;
  let url = checkOutboundUrl(input, policy);
  let method = init.method ?? "GET";
  for (let hop = 0; ; hop++) {
    const res = await once(url, { ...init, method }, policy);
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode ?? 0) || !location) return toResponse(res, method);
    res.resume();
    res.destroy();
    if (hop >= maxRedirects) throw new OutboundRefusedError("redirects");
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new OutboundRefusedError("redirects");
    }
    url = checkOutboundUrl(next, policy);
    if (res.statusCode === 303 && method !== "HEAD") method = "GET";
  }
}
