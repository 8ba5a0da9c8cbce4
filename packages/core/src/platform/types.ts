import type { Platform } from "../platforms";

/**
 * The contract between Studio's publishing engine (publish/) and the platform adapters
 * (platform/instagram.ts, facebook.ts, tiktok.ts). Adapters speak the real APIs of
 * ../shared/platforms.md at the base URLs from config/env.ts; they hold no state and throw only
 * `PlatformError` (platform/errors.ts), already classified.
 */

/** What an adapter needs to act for one connected account. Never logged. */
export interface AccountCredentials {
  /** Instagram user id, Facebook page id, TikTok open_id. */
  externalAccountId: string;
  accessToken: string;
}

export interface MediaItem {
  url: string;
  type: "image" | "video";
}

export interface PublishContent {
  caption: string;
  media: MediaItem[];
}

/** Result of a token refresh. `refreshToken` is absent when the platform did not rotate it. */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** ISO instant. */
  expiresAt?: string;
  refreshExpiresAt?: string;
}

/** A post found on the platform during reconciliation. */
export interface RemotePost {
  id: string;
  caption: string;
  /** ISO instant the platform gives for its creation. */
  createdAt: string;
}

export type ContainerStatus = "IN_PROGRESS" | "FINISHED" | "PUBLISHED" | "ERROR" | "EXPIRED";

export type TikTokPublishStatus =
  | "PROCESSING_DOWNLOAD"
  | "PROCESSING_UPLOAD"
  | "PUBLISH_COMPLETE"
  | "SEND_TO_USER_INBOX"
  | "FAILED";

export interface InstagramAdapter {
  platform: "instagram";
  /** Step 1, reversible: a container. Meta fetches the media itself. */
  createContainer(creds: AccountCredentials, content: PublishContent): Promise<{ containerId: string }>;
  /** Step 2: `status` holds the error subcode when `statusCode` is ERROR. */
  containerStatus(
    creds: AccountCredentials,
    containerId: string,
  ): Promise<{ statusCode: ContainerStatus; status?: string }>;
  /** Step 3, irreversible: `media_publish` → the media id. */
  publishContainer(creds: AccountCredentials, containerId: string): Promise<{ mediaId: string }>;
  /** Recent media, newest first (reconciliation). */
  recentMedia(creds: AccountCredentials, limit?: number): Promise<RemotePost[]>;
  /** Remaining publishes in the rolling 24 h window. */
  publishingLimit(creds: AccountCredentials): Promise<{ used: number; limit: number }>;
  /** `GET {base}/refresh_access_token?grant_type=ig_refresh_token`. */
  refreshToken(accessToken: string): Promise<TokenSet>;
}

export interface FacebookAdapter {
  platform: "facebook";
  /**
   * Irreversible: feed, photos or videos by media → `externalPostId` = `post_id` ?? `id`, and
   * `platformPostId` = the page-post id (for a video: `videoPostId`).
   */
  createPost(
    creds: AccountCredentials,
    content: PublishContent,
  ): Promise<{ externalPostId: string; platformPostId: string }>;
  /** `GET /{page-id}/published_posts` newest first (reconciliation). Videos appear once processed. */
  recentPosts(creds: AccountCredentials, limit?: number): Promise<RemotePost[]>;
  /** `GET /{page-id}/videos` newest first: uploaded videos, listed before processing ends. */
  recentVideos(creds: AccountCredentials, limit?: number): Promise<RemotePost[]>;
  /** The page-post id of a page's video: `{page-id}_{video-id}`. */
  videoPostId(creds: AccountCredentials, videoId: string): string;
}

export interface TikTokAdapter {
  platform: "tiktok";
  /** Privacy options and limits; must be asked before init. */
  creatorInfo(creds: AccountCredentials): Promise<{ privacyLevelOptions: string[]; maxVideoPostDurationSec?: number }>;
  /** Irreversible (PULL_FROM_URL publishes): → `publish_id`. Never call twice for one post. */
  initVideo(
    creds: AccountCredentials,
    input: { title: string; videoUrl: string; privacyLevel: string },
  ): Promise<{ publishId: string }>;
  publishStatus(
    creds: AccountCredentials,
    publishId: string,
  ): Promise<{ status: TikTokPublishStatus; failReason?: string; postIds?: string[] }>;
  /** The account's recent videos, newest first (reconciliation when init's answer was lost). */
  recentVideos(creds: AccountCredentials, limit?: number): Promise<RemotePost[]>;
  /** `POST /v2/oauth/token/` grant_type=refresh_token; the refresh token may rotate. */
  refreshToken(refreshToken: string): Promise<TokenSet>;
}

export type PlatformAdapter = InstagramAdapter | FacebookAdapter | TikTokAdapter;

export interface Adapters {
  instagram: InstagramAdapter;
  facebook: FacebookAdapter;
  tiktok: TikTokAdapter;
}

export type AdapterFor<P extends Platform> = Adapters[P];
