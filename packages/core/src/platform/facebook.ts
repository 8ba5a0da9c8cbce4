import { PlatformError } from "./errors";
import { graph } from "./graph";
import { type AdapterOptions, malformed } from "./http";
import { isoOf } from "./instagram";
import type { FacebookAdapter, RemotePost } from "./types";

/**
 * Facebook Pages (Graph API): one irreversible call per post — `/feed` (text), `/photos`
 * (`url`, `caption`) or `/videos` (`file_url`, `description`). `externalPostId` is `post_id`
 * when the API returns one (photos), else `id`.
 *
 * @example
 * const { externalPostId } = await facebookAdapter({ baseUrl }).createPost(creds, { caption, media: [] });
 */
/** A page's video is shown as the page post `{page-id}_{video-id}`. */
const videoPostId = (pageId: string, videoId: string) => `${pageId}_${videoId}`;

export function facebookAdapter(opts: AdapterOptions): FacebookAdapter {
  const p = "facebook" as const;
  return {
    platform: p,

    async createPost(creds, content) {
      if (content.media.length > 1)
        throw new PlatformError({
          platform: p,
          kind: "permanent",
          code: "post.media_invalid",
          message: "A Facebook post takes no media or exactly one image or video.",
        });
      const media = content.media[0];
      const page = encodeURIComponent(creds.externalAccountId);
      const [path, params] = !media
        ? [`${page}/feed`, { message: content.caption }]
        : media.type === "image"
          ? [`${page}/photos`, { url: media.url, caption: content.caption }]
          : [`${page}/videos`, { file_url: media.url, description: content.caption }];
      const operation = "facebook.create_post";
      const { body, answer } = await graph<{ id?: string; post_id?: string }>(opts, {
        platform: p,
        operation,
        final: true,
        method: "POST",
        path,
        params,
        accessToken: creds.accessToken,
        accountId: creds.externalAccountId,
      });
      const id = body.post_id ?? body.id;
      if (!id) throw malformed({ platform: p, operation, final: true }, answer, "no post id");
      const externalPostId = String(id);
      // `/videos` answers the video id; the page shows the video under `{page-id}_{video-id}`.
      const platformPostId =
        media?.type === "video" && !body.post_id
          ? videoPostId(creds.externalAccountId, externalPostId)
          : externalPostId;
      return { externalPostId, platformPostId };
    },

    videoPostId: (creds, videoId) => videoPostId(creds.externalAccountId, videoId),

    async recentVideos(creds, limit = 25) {
      const { body } = await graph<{ data?: { id: string; description?: string; created_time?: string }[] }>(opts, {
        platform: p,
        operation: "facebook.recent_videos",
        idempotent: true,
        method: "GET",
        path: `${encodeURIComponent(creds.externalAccountId)}/videos`,
        params: { fields: "id,description,created_time", limit: String(limit) },
        accessToken: creds.accessToken,
        accountId: creds.externalAccountId,
      });
      return (body.data ?? []).map(
        (m): RemotePost => ({ id: String(m.id), caption: m.description ?? "", createdAt: isoOf(m.created_time) }),
      );
    },

    async recentPosts(creds, limit = 25) {
      const { body } = await graph<{ data?: { id: string; message?: string; created_time?: string }[] }>(opts, {
        platform: p,
        operation: "facebook.recent_posts",
        idempotent: true,
        method: "GET",
        path: `${encodeURIComponent(creds.externalAccountId)}/published_posts`,
        params: { fields: "id,message,created_time", limit: String(limit) },
        accessToken: creds.accessToken,
        accountId: creds.externalAccountId,
      });
      return (body.data ?? []).map(
        (m): RemotePost => ({ id: String(m.id), caption: m.message ?? "", createdAt: isoOf(m.created_time) }),
      );
    },
  };
}
