import { checkGraphToken, graphToken } from "./graph-auth";
import { metaTime } from "./instagram";
import { inspectOwnMedia } from "./media";
import { graphError, run } from "./pipeline";
import { json, type Reply, type SimRequest } from "./sim-http";
import { newId, type SimState } from "./state";

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

/**
 * Facebook Pages under `/facebook/v23.0`: `/{page}/feed`, `/photos`, `/videos` (one irreversible
 * call each) and `/{page}/published_posts`.
 */
export async function facebook(state: SimState, sim: SimRequest, selfOrigin: string): Promise<boolean> {
  const [page, edge, ...rest] = sim.path.split("/").filter(Boolean);
  if (!page || !edge || rest.length) return false;
  const auth = () => {
    const r = checkGraphToken(state, "facebook", graphToken(sim), page);
    return "error" in r ? r.error : undefined;
  };
  if (sim.method === "POST" && (edge === "feed" || edge === "photos" || edge === "videos")) {
    await run(state, sim, {
      family: "graph",
      platform: "facebook",
      operation: "facebook.create_post",
      accountId: page,
      caption: captionOf(sim.body, edge),
      auth,
      perform: () => createPost(state, sim, page, edge, selfOrigin),
    });
    return true;
  }
  if (sim.method === "GET" && (edge === "published_posts" || edge === "feed" || edge === "posts")) {
    await run(state, sim, {
      family: "graph",
      platform: "facebook",
      operation: "facebook.recent_posts",
      accountId: page,
      auth,
      perform: () => {
        const limit = Math.min(Number(sim.query.get("limit") ?? 25) || 25, 100);
        const now = state.now();
        const data = state.posts
          .filter((p) => p.platform === "facebook" && p.accountId === page && p.visibleAt <= now)
          .sort((a, b) => b.createdAt - a.createdAt)
          .slice(0, limit)
          .map((p) => ({ id: p.id, message: p.caption, created_time: metaTime(p.createdAt) }));
        return json(200, { data, paging: { cursors: {} } });
      },
    });
    return true;
  }
  if (sim.method === "GET" && edge === "videos") {
    // The page's uploaded videos, listed as soon as they are uploaded (before processing ends).
    await run(state, sim, {
      family: "graph",
      platform: "facebook",
      operation: "facebook.recent_videos",
      accountId: page,
      auth,
      perform: () => {
        const limit = Math.min(Number(sim.query.get("limit") ?? 25) || 25, 100);
        const data = state.posts
          .filter((p) => p.platform === "facebook" && p.accountId === page && p.videoId)
          .sort((a, b) => b.createdAt - a.createdAt)
          .slice(0, limit)
          .map((p) => ({ id: p.videoId, description: p.caption, created_time: metaTime(p.createdAt) }));
        return json(200, { data, paging: { cursors: {} } });
      },
    });
    return true;
  }
  return false;
}

const captionOf = (b: Record<string, unknown>, edge: string) =>
  (edge === "feed" ? str(b.message) : edge === "photos" ? str(b.caption) : str(b.description)) ?? "";

function createPost(state: SimState, sim: SimRequest, page: string, edge: string, selfOrigin: string): Reply {
  const b = sim.body;
  const caption = captionOf(b, edge);
  if (edge === "feed" && !caption && !str(b.link))
    return graphError(400, { code: 100, message: "(#100) Either message or link is required." });
  const mediaUrl = edge === "photos" ? str(b.url) : edge === "videos" ? str(b.file_url) : undefined;
  if (edge !== "feed") {
    if (!mediaUrl)
      return graphError(400, { code: 100, message: `(#100) ${edge === "photos" ? "url" : "file_url"} is required.` });
    const own = inspectOwnMedia(mediaUrl, selfOrigin);
    if (edge === "photos" && (own === "missing" || (own && !own.contentType.startsWith("image/"))))
      return graphError(400, { code: 324, message: "(#324) Missing or invalid image file" });
    if (edge === "photos" && own && own !== "missing" && own.size > 10 * 1024 * 1024)
      return graphError(400, { code: 100, message: "(#100) The photo is too large (10 MB at most)." });
    if (edge === "videos" && (own === "missing" || (own && !own.contentType.startsWith("video/"))))
      return graphError(400, {
        code: 352,
        message: "(#352) Sorry, the video file you selected is in a format that we don't support.",
      });
  }
  if (state.config.facebookRejectDuplicates && edge === "feed") {
    const last = state.posts.filter((p) => p.platform === "facebook" && p.accountId === page).at(-1);
    if (last && last.caption === caption) return graphError(400, { code: 506, message: "Duplicate status message" });
  }
  // A page's video is shown as the post `{page}_{video id}`, listed once Facebook has processed it.
  const videoId = edge === "videos" ? newId("88") : undefined;
  const postId = `${page}_${videoId ?? newId("10")}`;
  const now = state.now();
  state.addPost({
    platform: "facebook",
    accountId: page,
    id: postId,
    caption,
    createdAt: now,
    ...(videoId ? { videoId, visibleAt: now + state.config.facebookVideoReadyMs } : {}),
    via: `facebook.${edge}`,
  });
  state.account("facebook", page);
  if (edge === "photos") return json(200, { id: newId("55"), post_id: postId });
  if (videoId) return json(200, { id: videoId });
  return json(200, { id: postId });
}
