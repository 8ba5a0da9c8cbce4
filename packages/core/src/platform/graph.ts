import { type CallContext, classifyGraphError, type GraphErrorBody } from "./classify";
import { type AdapterOptions, type HttpAnswer, join, send } from "./http";

export interface GraphRequest extends CallContext {
  method: "GET" | "POST";
  /** Path under the versioned base URL, e.g. `17841400000/media`. */
  path: string;
  /** Query parameters for GET, form fields for POST. */
  params?: Record<string, string | undefined>;
  /** Sent as `Authorization: Bearer` (never in the URL), unless `tokenInQuery`. */
  accessToken: string;
  /** Meta's refresh endpoint documents the token as a query parameter. */
  tokenInQuery?: boolean;
  accountId?: string;
}

/**
 * One Graph API call (Instagram or Facebook). Returns the JSON of a 2xx answer; throws a
 * classified `PlatformError` for everything else.
 */
export async function graph<T>(opts: AdapterOptions, req: GraphRequest): Promise<{ body: T; answer: HttpAnswer }> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(req.params ?? {})) if (v !== undefined) params.set(k, v);
  if (req.tokenInQuery) params.set("access_token", req.accessToken);
  const headers: Record<string, string> = { accept: "application/json" };
  if (!req.tokenInQuery) headers.authorization = `Bearer ${req.accessToken}`;
  let url = join(opts.baseUrl, req.path);
  let body: URLSearchParams | undefined;
  if (req.method === "GET" || req.tokenInQuery) {
    const q = params.toString();
    if (q) url += `?${q}`;
  } else {
    body = params;
  }
  const answer = await send(opts, { ...req, url, headers, body });
  const json = answer.json as { error?: GraphErrorBody } | undefined;
  if (answer.status < 200 || answer.status >= 300 || (json && typeof json === "object" && json.error)) {
    throw classifyGraphError(req, answer.status, json?.error, answer.headers);
  }
  return { body: (json ?? {}) as T, answer };
}
