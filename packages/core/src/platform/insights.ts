import { type CallContext, classifyTikTokError, type TikTokErrorBody } from "./classify";
import { PlatformError } from "./errors";
import { graph } from "./graph";
import { type AdapterOptions, join, send } from "./http";
import type { AccountCredentials } from "./types";

/**
 * Reading metrics and public numbers from the platforms (platforms.md, "Reading metrics"). Every
 * reader returns what the platform reported under the platform's own names and nothing else: a
 * metric it left out is absent, never 0. Errors are `PlatformError`s, classified; a post the
 * platform no longer has is `isRemovedOnPlatform`.
 */

/** Graph's answer for an object that does not exist (any more): code 100, subcode 33. */
export function isRemovedOnPlatform(err: unknown): boolean {
  return err instanceof PlatformError && err.platformCode === "100" && err.platformSubcode === "33";
}

/** A Graph 100 error naming one of `metrics` (a retired metric fails the whole request): that name. */
export function retiredMetricIn(err: unknown, metrics: string[]): string | undefined {
  if (!(err instanceof PlatformError) || err.platformCode !== "100" || err.platformSubcode) return undefined;
  return metrics.find((m) => new RegExp(`\\b${m}\\b`).test(err.message));
}

interface InsightsEntry {
  name?: string;
  values?: Array<{ value?: unknown }>;
  total_value?: { value?: unknown };
}

function insightsValues(data: InsightsEntry[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of data ?? []) {
    const v = e.values?.[0]?.value ?? e.total_value?.value;
    if (e.name && typeof v === "number") out[e.name] = v;
  }
  return out;
}

/**
 * `GET /{ig-media-id}/insights?metric=…` → `{ name: value }` of what Instagram reported.
 *
 * @example
 * const raw = await instagramMediaInsights(opts, creds, "17890…", ["views", "reach", "saved"]);
 */
export async function instagramMediaInsights(
  opts: AdapterOptions,
  creds: AccountCredentials,
  mediaId: string,
  metrics: string[],
): Promise<Record<string, number>> {
  const { body } = await graph<{ data?: InsightsEntry[] }>(opts, {
    platform: "instagram",
    operation: "instagram.media_insights",
    idempotent: true,
    method: "GET",
    path: `${encodeURIComponent(mediaId)}/insights`,
    params: { metric: metrics.join(",") },
    accessToken: creds.accessToken,
    accountId: creds.externalAccountId,
  });
  return insightsValues(body.data);
}

/**
 * One Facebook post: its insights (`insights.metric(…)`) and its own reaction, comment and share
 * counts, in one call. `reactions`/`comments`/`shares` appear only when Graph returned them.
 *
 * @example
 * const raw = await facebookPostMetrics(opts, creds, "1000_2000", ["post_media_view"]);
 */
export async function facebookPostMetrics(
  opts: AdapterOptions,
  creds: AccountCredentials,
  postId: string,
  metrics: string[],
): Promise<Record<string, number>> {
  const fields = [
    `insights.metric(${metrics.join(",")})`,
    "reactions.summary(total_count).limit(0)",
    "comments.summary(total_count).limit(0)",
    "shares",
  ].join(",");
  const { body } = await graph<{
    insights?: { data?: InsightsEntry[] };
    reactions?: { summary?: { total_count?: number } };
    comments?: { summary?: { total_count?: number } };
    shares?: { count?: number };
  }>(opts, {
    platform: "facebook",
    operation: "facebook.post_insights",
    idempotent: true,
    method: "GET",
    path: encodeURIComponent(postId),
    params: { fields },
    accessToken: creds.accessToken,
    accountId: creds.externalAccountId,
  });
  const out = insightsValues(body.insights?.data);
  if (typeof body.reactions?.summary?.total_count === "number") out.reactions = body.reactions.summary.total_count;
  if (typeof body.comments?.summary?.total_count === "number") out.comments = body.comments.summary.total_count;
  if (typeof body.shares?.count === "number") out.shares = body.shares.count;
  return out;
}

/**
 * `POST /v2/video/query/` for up to 20 of the token's own videos → `{ videoId: { field: value } }`.
 * A video TikTok leaves out is not returned (deleted, or not public).
 *
 * @example
 * const byId = await tiktokVideoQuery(opts, creds, ["7300…"], ["id", "view_count", "like_count"]);
 */
export async function tiktokVideoQuery(
  opts: AdapterOptions,
  creds: AccountCredentials,
  videoIds: string[],
  fields: string[],
): Promise<Record<string, Record<string, number>>> {
  const ctx: CallContext = { platform: "tiktok", operation: "tiktok.video_query", idempotent: true };
  const answer = await send(opts, {
    ...ctx,
    method: "POST",
    url: `${join(opts.baseUrl, "/v2/video/query/")}?fields=${encodeURIComponent(fields.join(","))}`,
    headers: { authorization: `Bearer ${creds.accessToken}`, "content-type": "application/json" },
    body: JSON.stringify({ filters: { video_ids: videoIds } }),
    accountId: creds.externalAccountId,
  });
  const json = answer.json as { data?: { videos?: Array<Record<string, unknown>> }; error?: TikTokErrorBody };
  if (answer.status < 200 || answer.status >= 300 || (json?.error?.code && json.error.code !== "ok"))
    throw classifyTikTokError(ctx, answer.status, json?.error, answer.headers);
  const out: Record<string, Record<string, number>> = {};
  for (const v of json?.data?.videos ?? []) {
    const id = v.id === undefined ? undefined : String(v.id);
    if (!id) continue;
    out[id] = Object.fromEntries(
      Object.entries(v).filter((e): e is [string, number] => e[0] !== "id" && typeof e[1] === "number"),
    );
  }
  return out;
}

export interface PublicAccountNumbers {
  followers?: number;
  posts?: number;
  /** Like and comment counts of the recent media the platform returned. */
  recent?: Array<{ likes?: number; comments?: number }>;
}

/**
 * Instagram business discovery, asked with a connected Instagram account (`creds`) about
 * `handle`. An unknown or personal handle is Graph 110 / 2207013 (`isInvalidHandle`).
 */
export async function instagramBusinessDiscovery(
  opts: AdapterOptions,
  creds: AccountCredentials,
  handle: string,
): Promise<PublicAccountNumbers> {
  const { body } = await graph<{
    business_discovery?: {
      followers_count?: number;
      media_count?: number;
      media?: { data?: Array<{ like_count?: number; comments_count?: number }> };
    };
  }>(opts, {
    platform: "instagram",
    operation: "instagram.business_discovery",
    idempotent: true,
    method: "GET",
    path: encodeURIComponent(creds.externalAccountId),
    params: {
      fields: `business_discovery.username(${handle}){followers_count,media_count,media{like_count,comments_count,timestamp}}`,
    },
    accessToken: creds.accessToken,
    accountId: creds.externalAccountId,
  });
  const bd = body.business_discovery ?? {};
  return {
    followers: bd.followers_count,
    posts: bd.media_count,
    recent: (bd.media?.data ?? []).map((m) => ({ likes: m.like_count, comments: m.comments_count })),
  };
}

/** Facebook public page fields (`followers_count`), asked with a connected page's token. */
export async function facebookPageFields(
  opts: AdapterOptions,
  creds: AccountCredentials,
  page: string,
): Promise<PublicAccountNumbers> {
  const { body } = await graph<{ followers_count?: number; fan_count?: number }>(opts, {
    platform: "facebook",
    operation: "facebook.page",
    idempotent: true,
    method: "GET",
    path: encodeURIComponent(page),
    params: { fields: "id,name,followers_count,fan_count" },
    accessToken: creds.accessToken,
    accountId: creds.externalAccountId,
  });
  return { followers: body.followers_count ?? body.fan_count };
}

/** Graph's answer for a handle that is not a business/creator account or does not exist. */
export function isInvalidHandle(err: unknown): boolean {
  return (
    err instanceof PlatformError &&
    (err.platformCode === "110" || err.platformSubcode === "2207013" || isRemovedOnPlatform(err))
  );
}
