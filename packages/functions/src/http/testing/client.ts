import { app } from "../app";

/** For the API's connected tests: calls `app.request` and parses the JSON answer. */
export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent as is, with a JSON content type (malformed JSON tests). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read fields freely
  body: any;
  text: string;
  headers: Headers;
}

export async function call(method: string, path: string, opts: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let payload: string | undefined;
  if (opts.rawBody !== undefined || opts.body !== undefined) {
    headers["content-type"] ??= "application/json";
    payload = opts.rawBody ?? JSON.stringify(opts.body);
  }
  const res = await app.request(path, { method, headers, body: payload });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, headers: res.headers };
}

export const adminToken = () => process.env.STUDIO_ADMIN_TOKEN as string;

/** A workspace and its owner key, created through the API. */
export async function newWorkspace(name = "Acme", timezone = "Europe/Paris") {
  const res = await call("POST", "/v1/workspaces", { token: adminToken(), body: { name, timezone } });
  if (res.status !== 201) throw new Error(`workspace creation failed: ${res.status} ${res.text}`);
  return { workspaceId: res.body.workspace.id as string, ownerKey: res.body.apiKey as string };
}

export async function newKey(ownerKey: string, role: "owner" | "editor" | "viewer") {
  const res = await call("POST", "/v1/api-keys", { token: ownerKey, body: { name: role, role } });
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${res.text}`);
  return res.body.apiKey as string;
}

let seq = 0;
/** Connects an account (Instagram by default) and returns its id. */
export async function newAccount(key: string, overrides: Record<string, unknown> = {}) {
  seq += 1;
  const res = await call("POST", "/v1/accounts", {
    token: key,
    body: {
      platform: "instagram",
      externalAccountId: `ext-${seq}-${Math.random().toString(36).slice(2)}`,
      handle: `handle${seq}`,
      accessToken: `IGQVJ-access-${Math.random().toString(36).slice(2)}-secret`,
      ...overrides,
    },
  });
  if (res.status !== 201) throw new Error(`connect failed: ${res.status} ${res.text}`);
  return res.body.id as string;
}

export const image = [{ url: "https://cdn.example.com/a.jpg", type: "image" }];
export const video = [{ url: "https://cdn.example.com/a.mp4", type: "video" }];

/** An ISO instant `ms` from now. */
export const fromNow = (ms: number) => new Date(Date.now() + ms).toISOString();
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
