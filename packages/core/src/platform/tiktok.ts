import { type CallContext, classifyTikTokError, classifyTikTokOAuthError, type TikTokErrorBody } from "./classify";
import { type AdapterOptions, join, malformed, send } from "./http";
import type { RemotePost, TikTokAdapter, TikTokPublishStatus, TokenSet } from "./types";

export interface TikTokAdapterOptions extends AdapterOptions {
  clientKey: string;
  clientSecret: string;
}

const STATUSES = new Set<TikTokPublishStatus>([
  "PROCESSING_DOWNLOAD",
  "PROCESSING_UPLOAD",
  "PUBLISH_COMPLETE",
  "SEND_TO_USER_INBOX",
  "FAILED",
]);

/**
 * TikTok Content Posting API. JSON bodies, `Authorization: Bearer`; every answer carries
 * `error.code`, which must be `"ok"` — HTTP 200 can still be an error.
 *
 * @example
 * const tt = tiktokAdapter({ baseUrl: env.tiktokApiUrl(), clientKey, clientSecret });
 * const { publishId } = await tt.initVideo(creds, { title, videoUrl, privacyLevel: "SELF_ONLY" });
 */
export function tiktokAdapter(opts: TikTokAdapterOptions): TikTokAdapter {
  const p = "tiktok" as const;

  async function api<T>(ctx: CallContext, path: string, token: string, payload: unknown): Promise<T> {
    const answer = await send(opts, {
      ...ctx,
      method: "POST",
      url: join(opts.baseUrl, path),
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json; charset=UTF-8",
        accept: "application/json",
      },
      body: JSON.stringify(payload ?? {}),
    });
    const json = answer.json as { data?: T; error?: TikTokErrorBody } | undefined;
    const code = json?.error?.code;
    if (answer.status < 200 || answer.status >= 300 || (code !== undefined && code !== "ok"))
      throw classifyTikTokError(ctx, answer.status, json?.error, answer.headers);
    if (!json || code !== "ok" || json.data === undefined) throw malformed(ctx, answer, "no data or error.code");
    return json.data;
  }

  return {
    platform: p,

    async creatorInfo(creds) {
      const ctx = { platform: p, operation: "tiktok.creator_info", idempotent: true };
      const data = await api<{ privacy_level_options?: string[]; max_video_post_duration_sec?: number }>(
        ctx,
        "v2/post/publish/creator_info/query/",
        creds.accessToken,
        {},
      );
      return {
        privacyLevelOptions: data.privacy_level_options ?? [],
        maxVideoPostDurationSec: data.max_video_post_duration_sec,
      };
    },

    async initVideo(creds, input) {
      const ctx = { platform: p, operation: "tiktok.init", final: true };
      const data = await api<{ publish_id?: string }>(ctx, "v2/post/publish/video/init/", creds.accessToken, {
        post_info: { title: input.title, privacy_level: input.privacyLevel },
        source_info: { source: "PULL_FROM_URL", video_url: input.videoUrl },
      });
      if (!data.publish_id) throw malformed(ctx, { status: 200, text: "no publish_id" }, "no publish_id");
      return { publishId: data.publish_id };
    },

    async publishStatus(creds, publishId) {
      const ctx = { platform: p, operation: "tiktok.status", idempotent: true };
      const data = await api<{ status?: string; fail_reason?: string; publicaly_available_post_id?: unknown[] }>(
        ctx,
        "v2/post/publish/status/fetch/",
        creds.accessToken,
        { publish_id: publishId },
      );
      const status = data.status as TikTokPublishStatus | undefined;
      if (!status || !STATUSES.has(status))
        throw malformed(ctx, { status: 200, text: String(data.status) }, "unknown status");
      const ids = (data.publicaly_available_post_id ?? []).map(String);
      return {
        status,
        ...(data.fail_reason ? { failReason: data.fail_reason } : {}),
        ...(ids.length ? { postIds: ids } : {}),
      };
    },

    async recentVideos(creds, limit = 20) {
      // 20 a page (TikTok's maximum); further pages through `cursor` until `limit` videos.
      const ctx = { platform: p, operation: "tiktok.recent_videos", idempotent: true };
      const out: RemotePost[] = [];
      let cursor: number | undefined;
      for (let page = 0; page < 10 && out.length < limit; page++) {
        const data = await api<{
          videos?: { id: string; title?: string; video_description?: string; create_time?: number }[];
          cursor?: number;
          has_more?: boolean;
        }>(ctx, "v2/video/list/?fields=id,title,video_description,create_time", creds.accessToken, {
          max_count: Math.min(Math.max(limit - out.length, 1), 20),
          ...(cursor ? { cursor } : {}),
        });
        for (const v of data.videos ?? [])
          out.push({
            id: String(v.id),
            caption: v.title ?? v.video_description ?? "",
            createdAt: new Date((v.create_time ?? 0) * 1000).toISOString(),
          });
        if (!data.has_more || !data.cursor) break;
        cursor = data.cursor;
      }
      return out;
    },

    async refreshToken(refreshToken): Promise<TokenSet> {
      const ctx = { platform: p, operation: "tiktok.refresh", refresh: true };
      const answer = await send(opts, {
        ...ctx,
        method: "POST",
        url: join(opts.baseUrl, "v2/oauth/token/"),
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({
          client_key: opts.clientKey,
          client_secret: opts.clientSecret,
          grant_type: "refresh_token",
          refresh_token: refreshToken,
        }),
      });
      const json = answer.json as
        | {
            access_token?: string;
            expires_in?: number;
            refresh_token?: string;
            refresh_expires_in?: number;
            error?: unknown;
            error_description?: string;
            data?: Record<string, unknown>;
          }
        | undefined;
      // Older answers wrap the token in `data`; newer ones do not.
      const tok = (json?.access_token ? json : (json?.data as typeof json)) ?? undefined;
      const errorPresent =
        json?.error !== undefined &&
        !(typeof json.error === "object" && (json.error as { code?: string })?.code === "ok");
      if (answer.status < 200 || answer.status >= 300 || errorPresent || !tok?.access_token) {
        if (answer.status >= 200 && answer.status < 300 && !errorPresent)
          throw malformed({ ...ctx, idempotent: true }, answer, "no access_token");
        throw classifyTikTokOAuthError(ctx, answer.status, json, answer.headers);
      }
      const now = Date.now();
      return {
        accessToken: tok.access_token,
        // Never hand back an empty refresh token: absent means "keep the stored one".
        ...(tok.refresh_token ? { refreshToken: tok.refresh_token } : {}),
        ...(typeof tok.expires_in === "number"
          ? { expiresAt: new Date(now + tok.expires_in * 1000).toISOString() }
          : {}),
        ...(typeof tok.refresh_expires_in === "number"
          ? { refreshExpiresAt: new Date(now + tok.refresh_expires_in * 1000).toISOString() }
          : {}),
      };
    },
  };
}
