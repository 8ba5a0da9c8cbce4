import { bearer, checkTikTokToken } from "./graph-auth";
import { inspectOwnMedia } from "./media";
import { run, tiktokError } from "./pipeline";
import { json, type Reply, type SimRequest } from "./sim-http";
import { newId, newToken, type SimPublish, type SimState } from "./state";

const ok = (data: unknown): Reply => json(200, { data, error: { code: "ok", message: "", log_id: newId("log") } });
const PRIVACY = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"];
const GB = 1024 ** 3;

/** The open_id a token belongs to, without checking it (for fault matching). */
function accountOf(state: SimState, token: string | undefined) {
  if (!token) return undefined;
  return state.tokens.get(token)?.accountId ?? `auto_${Buffer.from(token).toString("base64url").slice(0, 12)}`;
}

export function publishStatus(state: SimState, publishId: string) {
  const p = state.publishes.get(publishId)!;
  const age = state.now() - p.createdAt;
  if (p.pulling || age < state.config.tiktokDownloadMs) return { status: "PROCESSING_DOWNLOAD" };
  if (p.failReason) return { status: "FAILED", fail_reason: p.failReason };
  if (p.stuck) return { status: "PROCESSING_UPLOAD" };
  if (age < state.config.tiktokCompleteMs) return { status: "PROCESSING_UPLOAD" };
  return { status: "PUBLISH_COMPLETE", postId: p.postId };
}

/**
 * TikTok Content Posting API under `/tiktok`: creator_info, video/init (PULL_FROM_URL),
 * status/fetch, video/list and oauth/token (rotating refresh tokens).
 */
export async function tiktok(state: SimState, sim: SimRequest, selfOrigin: string): Promise<boolean> {
  if (sim.method !== "POST") return false;
  const path = sim.path.replace(/\/+$/, "");
  const token = bearer(sim);
  const accountId = accountOf(state, token);
  let tokenAccount = "";
  const auth = () => {
    const r = checkTikTokToken(state, token);
    if ("error" in r) return r.error;
    tokenAccount = r.accountId;
    return undefined;
  };
  const common = { family: "tiktok" as const, platform: "tiktok" as const, accountId, auth };

  switch (path) {
    case "/v2/post/publish/creator_info/query":
      await run(state, sim, {
        ...common,
        operation: "tiktok.creator_info",
        perform: () => {
          const a = state.account("tiktok", tokenAccount);
          return ok({
            creator_avatar_url: `${selfOrigin}/media/image.jpg`,
            creator_username: a.handle,
            creator_nickname: a.handle,
            privacy_level_options: PRIVACY,
            comment_disabled: false,
            duet_disabled: false,
            stitch_disabled: false,
            max_video_post_duration_sec: 600,
          });
        },
      });
      return true;
    case "/v2/post/publish/video/init":
      await run(state, sim, {
        ...common,
        operation: "tiktok.init",
        caption: String((sim.body as { post_info?: { title?: unknown } }).post_info?.title ?? ""),
        perform: (fault) =>
          init(
            state,
            sim,
            token!,
            tokenAccount,
            selfOrigin,
            fault?.type === "publish_failed" ? (fault.failReason ?? "file_format_check_failed") : undefined,
          ),
      });
      return true;
    case "/v2/post/publish/status/fetch":
      await run(state, sim, {
        ...common,
        operation: "tiktok.status",
        perform: (fault) => {
          if (!state.allow(`status:${token}`, state.config.tiktokStatusPerMinute))
            return tiktokError(429, "rate_limit_exceeded", "API rate limit exceeded.", { "retry-after": "60" });
          const id = typeof sim.body.publish_id === "string" ? sim.body.publish_id : "";
          const p = state.publishes.get(id);
          if (!p || p.accountId !== tokenAccount)
            return tiktokError(400, "invalid_params", "publish_id does not exist.");
          if (fault?.type === "stuck" && !p.failReason && (p.postId || p.pulling)) {
            // Processing never ends: the video never goes live.
            p.stuck = true;
            state.posts = state.posts.filter((x) => x.id !== p.postId);
            p.postId = undefined;
          }
          if (fault?.type === "publish_failed" && !p.failReason) {
            p.failReason = fault.failReason ?? "file_format_check_failed";
            state.posts = state.posts.filter((x) => x.id !== p.postId);
            p.postId = undefined;
            p.createdAt = Math.min(p.createdAt, state.now() - state.config.tiktokDownloadMs);
          }
          const s = publishStatus(state, id);
          return ok({
            status: s.status,
            ...(s.fail_reason ? { fail_reason: s.fail_reason } : {}),
            publicaly_available_post_id: s.status === "PUBLISH_COMPLETE" && s.postId ? [Number(s.postId)] : [],
            uploaded_bytes: 0,
            downloaded_bytes: s.status === "PROCESSING_DOWNLOAD" ? 0 : 1_048_576,
          });
        },
      });
      return true;
    case "/v2/video/list":
      await run(state, sim, {
        ...common,
        operation: "tiktok.recent_videos",
        perform: () => {
          const max = Math.min(Number(sim.body.max_count ?? 20) || 20, 20);
          // `cursor`: a UTC timestamp in ms; the page holds videos created before it.
          const before = Number(sim.body.cursor) > 0 ? Number(sim.body.cursor) : Number.POSITIVE_INFINITY;
          const now = state.now();
          const all = state.posts
            .filter(
              (p) =>
                p.platform === "tiktok" && p.accountId === tokenAccount && p.visibleAt <= now && p.createdAt < before,
            )
            .sort((a, b) => b.createdAt - a.createdAt);
          const page = all.slice(0, max);
          const videos = page.map((p) => ({
            id: p.id,
            title: p.caption,
            video_description: p.caption,
            create_time: Math.floor(p.createdAt / 1000),
          }));
          const last = page.at(-1);
          return ok({ videos, cursor: last ? last.createdAt : 0, has_more: all.length > page.length });
        },
      });
      return true;
    case "/v2/oauth/token": {
      const rt = typeof sim.body.refresh_token === "string" ? sim.body.refresh_token : undefined;
      await run(state, sim, {
        family: "tiktok_oauth",
        platform: "tiktok",
        operation: "tiktok.refresh",
        accountId: rt ? state.tokens.get(rt)?.accountId : undefined,
        perform: () => refresh(state, sim),
      });
      return true;
    }
  }
  return false;
}

function init(
  state: SimState,
  sim: SimRequest,
  token: string,
  accountId: string,
  selfOrigin: string,
  forcedFail?: string,
): Reply {
  const b = sim.body as {
    post_info?: { title?: unknown; privacy_level?: unknown };
    source_info?: { source?: unknown; video_url?: unknown };
  };
  if (!b.post_info || !b.source_info)
    return tiktokError(400, "invalid_params", "post_info and source_info are required.");
  if (b.source_info.source !== "PULL_FROM_URL")
    return tiktokError(400, "invalid_params", "Only PULL_FROM_URL is simulated (FILE_UPLOAD is not).");
  const videoUrl = b.source_info.video_url;
  if (typeof videoUrl !== "string" || !videoUrl) return tiktokError(400, "invalid_params", "video_url is required.");
  if (typeof b.post_info.privacy_level !== "string" || !PRIVACY.includes(b.post_info.privacy_level))
    return tiktokError(400, "privacy_level_option_mismatch", "privacy_level is not one of the creator's options.");
  const title = typeof b.post_info.title === "string" ? b.post_info.title : "";
  if (title.length > 2200)
    return tiktokError(400, "invalid_params", "The title is too long (2,200 characters at most).");
  if (!state.allow(`init:${token}`, state.config.tiktokInitPerMinute))
    return tiktokError(429, "rate_limit_exceeded", "API rate limit exceeded: 6 init requests per minute.", {
      "retry-after": "60",
    });

  const own = inspectOwnMedia(videoUrl, selfOrigin);
  const failReason =
    forcedFail ??
    (own === "missing"
      ? "video_pull_failed"
      : own && !own.contentType.startsWith("video/")
        ? "file_format_check_failed"
        : own && own.size > 4 * GB
          ? "file_format_check_failed"
          : undefined);
  const publishId = `v_pub_url~v2-1.${newId()}`;
  const now = state.now();
  if (own === undefined && !failReason) {
    // A URL on another host (Studio's media ticket): TikTok pulls it, as the real one does, and
    // posts the video only if the pull succeeds.
    const rec: SimPublish = { publishId, accountId, title, videoUrl, createdAt: now, pulling: true };
    state.publishes.set(publishId, rec);
    void pullVideo(state, rec, selfOrigin);
    return json(200, { data: { publish_id: publishId }, error: { code: "ok", message: "", log_id: newId("log") } });
  }
  const postId = failReason ? undefined : newId("73");
  state.publishes.set(publishId, { publishId, accountId, title, videoUrl, createdAt: now, failReason, postId });
  if (postId)
    state.addPost({
      platform: "tiktok",
      accountId,
      id: postId,
      caption: title,
      createdAt: now,
      visibleAt: now + state.config.tiktokCompleteMs,
      via: "tiktok.init",
    });
  return json(200, { data: { publish_id: publishId }, error: { code: "ok", message: "", log_id: newId("log") } });
}

/**
 * TikTok's download of a PULL_FROM_URL video from another host (redirects followed): a failed
 * fetch fails the publish (`video_pull_failed`), a fetched file that is not a video fails its
 * format check, anything else becomes a post, visible `tiktokCompleteMs` after init.
 */
async function pullVideo(state: SimState, rec: SimPublish, selfOrigin: string): Promise<void> {
  let failReason: string | undefined;
  try {
    const res = await fetch(rec.videoUrl, { redirect: "follow", signal: AbortSignal.timeout(15_000) });
    await res.body?.cancel().catch(() => undefined);
    const own = inspectOwnMedia(res.url, selfOrigin);
    const type = (own && own !== "missing" ? own.contentType : res.headers.get("content-type")) ?? "";
    if (!res.ok || own === "missing") failReason = "video_pull_failed";
    else if (!type.startsWith("video/") || (own && own.size > 4 * GB)) failReason = "file_format_check_failed";
  } catch {
    failReason = "video_pull_failed";
  }
  rec.pulling = false;
  // Forgotten meanwhile (a reset), or failed or stuck by a fault on the status: nothing to post.
  if (state.publishes.get(rec.publishId) !== rec || rec.failReason || rec.stuck) return;
  if (failReason) {
    rec.failReason = failReason;
    return;
  }
  rec.postId = newId("73");
  state.addPost({
    platform: "tiktok",
    accountId: rec.accountId,
    id: rec.postId,
    caption: rec.title,
    createdAt: rec.createdAt,
    visibleAt: rec.createdAt + state.config.tiktokCompleteMs,
    via: "tiktok.init",
  });
}

function refresh(state: SimState, sim: SimRequest): Reply {
  const b = sim.body as Record<string, unknown>;
  const err = (status: number, error: string, description: string) =>
    json(status, { error, error_description: description, log_id: newId("log") });
  if (b.grant_type !== "refresh_token") return err(400, "invalid_request", "grant_type must be refresh_token.");
  const { tiktokClientKey, tiktokClientSecret } = state.config;
  if (
    (tiktokClientKey && b.client_key !== tiktokClientKey) ||
    (tiktokClientSecret && b.client_secret !== tiktokClientSecret)
  )
    return err(401, "invalid_client", "Client key or secret is invalid.");
  const rt = typeof b.refresh_token === "string" ? b.refresh_token : "";
  let rec = state.tokens.get(rt);
  if (!rec && rt && state.config.autoCreateAccounts) {
    const accountId = `auto_${Buffer.from(rt).toString("base64url").slice(0, 12)}`;
    state.account("tiktok", accountId);
    rec = state.issue({
      token: rt,
      platform: "tiktok",
      kind: "refresh",
      accountId,
      expiresAt: state.now() + state.config.tiktokRefreshTtlSec * 1000,
    });
  }
  if (rec?.platform !== "tiktok" || rec.kind !== "refresh" || rec.revoked || !rec.accountId)
    return err(400, "invalid_grant", "Refresh token is invalid or expired.");
  if (rec.expiresAt !== undefined && state.now() >= rec.expiresAt)
    return err(400, "invalid_grant", "Refresh token is invalid or expired.");
  // Rotation: the old refresh token dies the moment a new one is issued.
  rec.revoked = "rotated";
  const { tiktokAccessTtlSec, tiktokRefreshTtlSec } = state.config;
  const access = state.issue({
    token: newToken("act."),
    platform: "tiktok",
    kind: "access",
    accountId: rec.accountId,
    expiresAt: state.now() + tiktokAccessTtlSec * 1000,
  });
  const refresh = state.issue({
    token: newToken("rft."),
    platform: "tiktok",
    kind: "refresh",
    accountId: rec.accountId,
    expiresAt: state.now() + tiktokRefreshTtlSec * 1000,
  });
  return json(200, {
    access_token: access.token,
    expires_in: tiktokAccessTtlSec,
    open_id: rec.accountId,
    refresh_token: refresh.token,
    refresh_expires_in: tiktokRefreshTtlSec,
    scope: "user.info.basic,video.publish,video.list",
    token_type: "Bearer",
  });
}
