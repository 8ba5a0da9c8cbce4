import { checkGraphToken, graphToken } from "./graph-auth";
import { inspectOwnMedia } from "./media";
import { graphError, run } from "./pipeline";
import { json, type Reply, type SimRequest } from "./sim-http";
import { newId, newToken, type SimContainer, type SimState } from "./state";

const MB = 1024 * 1024;
const DAY = 86_400_000;

/** Meta's timestamp format: `2026-11-24T10:00:00+0000`. */
export const metaTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+0000");

export function containerStatus(state: SimState, c: SimContainer): { status_code: string; status?: string } {
  if (c.mediaId) return { status_code: "PUBLISHED", status: "Published" };
  if (c.forced?.status === "IN_PROGRESS") return { status_code: "IN_PROGRESS", status: "In Progress" };
  const age = state.now() - c.createdAt;
  if (age >= state.config.containerExpireMs) return { status_code: "EXPIRED", status: "Expired" };
  if (age < state.config.containerReadyMs) return { status_code: "IN_PROGRESS", status: "In Progress" };
  if (c.forced?.status === "EXPIRED") return { status_code: "EXPIRED", status: "Expired" };
  if (c.forced?.status === "ERROR")
    return {
      status_code: "ERROR",
      status: `Error: Media upload has failed with error code ${c.forced.subcode ?? "2207026"}`,
    };
  return { status_code: "FINISHED", status: "Finished" };
}

function publishedLast24h(state: SimState, accountId: string) {
  const since = state.now() - DAY;
  return state.posts.filter((p) => p.platform === "instagram" && p.accountId === accountId && p.createdAt > since)
    .length;
}

/**
 * Instagram Graph API under `/instagram/v23.0`: containers, status, media_publish, recent media,
 * content_publishing_limit and `refresh_access_token`.
 */
export async function instagram(state: SimState, sim: SimRequest, selfOrigin: string): Promise<boolean> {
  const parts = sim.path.split("/").filter(Boolean);
  const token = graphToken(sim);
  const auth = (accountId?: string) => () => {
    const r = checkGraphToken(state, "instagram", token, accountId);
    return "error" in r ? r.error : undefined;
  };

  if (parts.length === 1 && parts[0] === "refresh_access_token" && sim.method === "GET") {
    await run(state, sim, {
      family: "graph",
      platform: "instagram",
      operation: "instagram.refresh",
      accountId: token ? state.tokens.get(token)?.accountId : undefined,
      perform: () => {
        if (sim.query.get("grant_type") !== "ig_refresh_token")
          return graphError(400, { code: 100, message: "(#100) grant_type must be ig_refresh_token" });
        const checked = checkGraphToken(state, "instagram", token, undefined);
        if ("error" in checked) return checked.error;
        const ttl = state.config.instagramTokenTtlSec;
        const fresh = state.issue({
          token: newToken("IGQsim"),
          platform: "instagram",
          kind: "access",
          accountId: checked.token.accountId,
          expiresAt: state.now() + ttl * 1000,
        });
        return json(200, { access_token: fresh.token, token_type: "bearer", expires_in: ttl });
      },
    });
    return true;
  }

  const [id, edge] = parts;
  if (!id) return false;

  if (edge === "media" && sim.method === "POST") {
    await run(state, sim, {
      family: "graph",
      platform: "instagram",
      operation: "instagram.container_create",
      accountId: id,
      auth: auth(id),
      perform: (fault) => createContainer(state, sim, id, selfOrigin, fault?.type, fault?.subcode),
    });
    return true;
  }
  if (edge === "media" && sim.method === "GET") {
    await run(state, sim, {
      family: "graph",
      platform: "instagram",
      operation: "instagram.recent_media",
      accountId: id,
      auth: auth(id),
      perform: () => {
        const limit = Math.min(Number(sim.query.get("limit") ?? 25) || 25, 100);
        const data = state.posts
          .filter((p) => p.platform === "instagram" && p.accountId === id)
          .sort((a, b) => b.createdAt - a.createdAt)
          .slice(0, limit)
          .map((p) => ({ id: p.id, caption: p.caption, timestamp: metaTime(p.createdAt) }));
        return json(200, { data, paging: { cursors: {} } });
      },
    });
    return true;
  }
  if (edge === "media_publish" && sim.method === "POST") {
    await run(state, sim, {
      family: "graph",
      platform: "instagram",
      operation: "instagram.media_publish",
      accountId: id,
      // Journaled with the container's caption (an unknown container: an empty one).
      caption: state.containers.get(String(sim.body.creation_id ?? sim.query.get("creation_id") ?? ""))?.caption ?? "",
      auth: auth(id),
      perform: () => publish(state, sim, id),
    });
    return true;
  }
  if (edge === "content_publishing_limit" && sim.method === "GET") {
    await run(state, sim, {
      family: "graph",
      platform: "instagram",
      operation: "instagram.publishing_limit",
      accountId: id,
      auth: auth(id),
      perform: () =>
        json(200, {
          data: [
            {
              quota_usage: publishedLast24h(state, id),
              config: { quota_total: state.config.instagramPublishLimit, quota_duration: 86_400 },
            },
          ],
        }),
    });
    return true;
  }
  if (!edge && sim.method === "GET") {
    const container = state.containers.get(id);
    await run(state, sim, {
      family: "graph",
      platform: "instagram",
      operation: container ? "instagram.container_status" : "instagram.object",
      accountId: container?.accountId ?? id,
      auth: auth(container?.accountId ?? id),
      perform: (fault) => {
        if (!container) {
          const account = state.accounts.get(`instagram:${id}`);
          if (!account) return unknownObject(id);
          return json(200, { id, username: account.handle });
        }
        if (fault?.type === "container_error")
          container.forced = { status: "ERROR", subcode: String(fault.subcode ?? 2207026) };
        if (fault?.type === "stuck") container.forced = { status: "IN_PROGRESS" };
        if (fault?.type === "container_expired") {
          container.forced = { status: "EXPIRED" };
          container.createdAt = Math.min(container.createdAt, state.now() - state.config.containerReadyMs);
        }
        return json(200, { id, ...containerStatus(state, container) });
      },
    });
    return true;
  }
  return false;
}

const unknownObject = (id: string) =>
  graphError(400, {
    code: 100,
    subcode: 33,
    type: "GraphMethodException",
    message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
  });

function createContainer(
  state: SimState,
  sim: SimRequest,
  accountId: string,
  selfOrigin: string,
  faultType?: string,
  faultSubcode?: number,
): Reply {
  const b = sim.body;
  const caption = typeof b.caption === "string" ? b.caption : "";
  const imageUrl = typeof b.image_url === "string" ? b.image_url : undefined;
  const videoUrl = typeof b.video_url === "string" ? b.video_url : undefined;
  const mediaType = typeof b.media_type === "string" ? b.media_type : undefined;
  if (!imageUrl && !videoUrl)
    return graphError(400, { code: 100, message: "(#100) The parameter image_url or video_url is required." });
  if (videoUrl && mediaType !== "REELS" && mediaType !== "VIDEO")
    return graphError(400, { code: 100, message: "(#100) media_type must be REELS to publish a video." });
  if (caption.length > 2200)
    return graphError(400, {
      code: 100,
      subcode: 2207010,
      message: "The caption is too long (2,200 characters at most).",
    });

  const c: SimContainer = {
    id: newId("179"),
    accountId,
    caption,
    mediaType: videoUrl ? "REELS" : "IMAGE",
    mediaUrl: (videoUrl ?? imageUrl)!,
    createdAt: state.now(),
  };
  // Meta fetches the media itself: our own media host can be inspected without a request.
  const own = inspectOwnMedia(c.mediaUrl, selfOrigin);
  if (c.mediaType === "IMAGE") {
    if (own === "missing" || (own && !own.contentType.startsWith("image/")))
      return graphError(400, {
        code: 9004,
        subcode: 2207052,
        message: "The media could not be fetched from this URI.",
      });
    if (own && own.size > 8 * 1024 * 1024)
      return graphError(400, { code: 100, subcode: 2207004, message: "The image is too large (8 MB at most)." });
  } else if (own === "missing") c.forced = { status: "ERROR", subcode: "2207052" };
  else if (own && !own.contentType.startsWith("video/")) c.forced = { status: "ERROR", subcode: "2207026" };
  else if (own && own.size > 1024 * MB) c.forced = { status: "ERROR", subcode: "2207026" };

  if (faultType === "container_error") c.forced = { status: "ERROR", subcode: String(faultSubcode ?? 2207026) };
  if (faultType === "container_expired") c.forced = { status: "EXPIRED" };
  if (faultType === "stuck") c.forced = { status: "IN_PROGRESS" };
  state.containers.set(c.id, c);
  state.account("instagram", accountId);
  return json(200, { id: c.id });
}

function publish(state: SimState, sim: SimRequest, accountId: string): Reply {
  const creationId = typeof sim.body.creation_id === "string" ? sim.body.creation_id : sim.query.get("creation_id");
  if (!creationId) return graphError(400, { code: 100, message: "(#100) The parameter creation_id is required." });
  const c = state.containers.get(creationId);
  if (!c || c.accountId !== accountId)
    return graphError(400, {
      code: 100,
      subcode: 2207006,
      message: `The media with id ${creationId} cannot be found.`,
    });
  const { status_code } = containerStatus(state, c);
  if (status_code === "IN_PROGRESS")
    return graphError(400, {
      code: 9007,
      subcode: 2207027,
      message: "Media ID is not available: the media is not ready for publishing, please wait for a moment.",
    });
  if (status_code === "PUBLISHED" || status_code === "EXPIRED")
    return graphError(400, {
      code: 100,
      subcode: 2207008,
      message: "The media container has already been published or has expired.",
    });
  if (status_code === "ERROR")
    return graphError(400, {
      code: 100,
      subcode: 2207032,
      message: "Create media has failed: the container is in ERROR.",
    });
  if (publishedLast24h(state, accountId) >= state.config.instagramPublishLimit)
    return graphError(400, {
      code: 9,
      subcode: 2207042,
      message: "The account has reached the maximum number of posts it can publish within 24 hours.",
    });
  const mediaId = newId("180");
  c.mediaId = mediaId;
  state.addPost({
    platform: "instagram",
    accountId,
    id: mediaId,
    caption: c.caption,
    createdAt: state.now(),
    via: "instagram.media_publish",
  });
  return json(200, { id: mediaId });
}
