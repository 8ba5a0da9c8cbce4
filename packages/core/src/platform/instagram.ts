import { PlatformError } from "./errors";
import { graph } from "./graph";
import { type AdapterOptions, malformed } from "./http";
import type {
  AccountCredentials,
  ContainerStatus,
  InstagramAdapter,
  PublishContent,
  RemotePost,
  TokenSet,
} from "./types";

const STATUSES = new Set<ContainerStatus>(["IN_PROGRESS", "FINISHED", "PUBLISHED", "ERROR", "EXPIRED"]);

/**
 * Instagram Graph API (professional accounts): container → status → media_publish
 * (platforms.md). Stateless; every failure is a classified `PlatformError`.
 *
 * @example
 * const ig = instagramAdapter({ baseUrl: env.instagramApiUrl() });
 * const { containerId } = await ig.createContainer(creds, { caption, media: [{ url, type: "image" }] });
 */
export function instagramAdapter(opts: AdapterOptions): InstagramAdapter {
  const p = "instagram" as const;
  return {
    platform: p,

    async createContainer(creds: AccountCredentials, content: PublishContent) {
      const media = content.media[0];
      if (!media || content.media.length !== 1)
        throw new PlatformError({
          platform: p,
          kind: "permanent",
          code: "post.media_invalid",
          message: "An Instagram post needs exactly one image or one video.",
        });
      const params: Record<string, string> =
        media.type === "video"
          ? { media_type: "REELS", video_url: media.url, caption: content.caption }
          : { image_url: media.url, caption: content.caption };
      const operation = "instagram.container_create";
      const { body, answer } = await graph<{ id?: string }>(opts, {
        platform: p,
        operation,
        method: "POST",
        path: `${encodeURIComponent(creds.externalAccountId)}/media`,
        params,
        accessToken: creds.accessToken,
        accountId: creds.externalAccountId,
      });
      if (!body.id) throw malformed({ platform: p, operation }, answer, "no container id");
      return { containerId: String(body.id) };
    },

    async containerStatus(creds, containerId) {
      const operation = "instagram.container_status";
      const { body, answer } = await graph<{ status_code?: string; status?: string }>(opts, {
        platform: p,
        operation,
        idempotent: true,
        method: "GET",
        path: encodeURIComponent(containerId),
        params: { fields: "status_code,status" },
        accessToken: creds.accessToken,
        accountId: creds.externalAccountId,
      });
      const code = body.status_code as ContainerStatus | undefined;
      if (!code || !STATUSES.has(code))
        throw malformed({ platform: p, operation, idempotent: true }, answer, "unknown status_code");
      if (code !== "ERROR") return { statusCode: code };
      // `status` reads like "Error: 2207026 ..."; the engine wants the subcode.
      const sub = body.status?.match(/\b\d{4,}\b/)?.[0];
      return { statusCode: code, status: sub ?? body.status };
    },

    async publishContainer(creds, containerId) {
      const operation = "instagram.media_publish";
      const { body, answer } = await graph<{ id?: string }>(opts, {
        platform: p,
        operation,
        final: true,
        method: "POST",
        path: `${encodeURIComponent(creds.externalAccountId)}/media_publish`,
        params: { creation_id: containerId },
        accessToken: creds.accessToken,
        accountId: creds.externalAccountId,
      });
      if (!body.id) throw malformed({ platform: p, operation, final: true }, answer, "no media id");
      return { mediaId: String(body.id) };
    },

    async recentMedia(creds, limit = 25) {
      const operation = "instagram.recent_media";
      const { body } = await graph<{ data?: { id: string; caption?: string; timestamp?: string }[] }>(opts, {
        platform: p,
        operation,
        idempotent: true,
        method: "GET",
        path: `${encodeURIComponent(creds.externalAccountId)}/media`,
        params: { fields: "id,caption,timestamp", limit: String(limit) },
        accessToken: creds.accessToken,
        accountId: creds.externalAccountId,
      });
      return (body.data ?? []).map(
        (m): RemotePost => ({ id: String(m.id), caption: m.caption ?? "", createdAt: isoOf(m.timestamp) }),
      );
    },

    async publishingLimit(creds) {
      const operation = "instagram.publishing_limit";
      const { body, answer } = await graph<{
        data?: { quota_usage?: number; config?: { quota_total?: number; quota_duration?: number } }[];
      }>(opts, {
        platform: p,
        operation,
        idempotent: true,
        method: "GET",
        path: `${encodeURIComponent(creds.externalAccountId)}/content_publishing_limit`,
        params: { fields: "quota_usage,config" },
        accessToken: creds.accessToken,
        accountId: creds.externalAccountId,
      });
      const d = body.data?.[0];
      if (!d || typeof d.quota_usage !== "number" || typeof d.config?.quota_total !== "number")
        throw malformed({ platform: p, operation, idempotent: true }, answer, "no quota");
      return { used: d.quota_usage, limit: d.config.quota_total };
    },

    async refreshToken(accessToken): Promise<TokenSet> {
      const operation = "instagram.refresh";
      const { body, answer } = await graph<{ access_token?: string; expires_in?: number }>(opts, {
        platform: p,
        operation,
        refresh: true,
        method: "GET",
        path: "refresh_access_token",
        params: { grant_type: "ig_refresh_token" },
        accessToken,
        tokenInQuery: true,
      });
      if (!body.access_token) throw malformed({ platform: p, operation, idempotent: true }, answer, "no token");
      return {
        accessToken: body.access_token,
        expiresAt:
          typeof body.expires_in === "number" ? new Date(Date.now() + body.expires_in * 1000).toISOString() : undefined,
      };
    },
  };
}

/** Meta timestamps look like `2026-11-24T10:00:00+0000`. */
export function isoOf(ts: string | undefined): string {
  if (!ts) return new Date(0).toISOString();
  const fixed = ts.replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
  const d = new Date(fixed);
  return Number.isNaN(d.getTime()) ? new Date(0).toISOString() : d.toISOString();
}
