import { createHash } from "node:crypto";
import { bearer, checkGraphToken, checkTikTokToken, graphToken } from "./graph-auth";
import { graphError, run, tiktokError } from "./pipeline";
import { json, type Reply, type SimRequest } from "./sim-http";
import { newId, type SimPost, type SimState } from "./state";

/**
 * Reading metrics, as the platforms document it (../../../../../shared/platforms.md):
 *
 * - Instagram `GET /{ig-media-id}/insights?metric=views,reach,likes,comments,saved,shares,total_interactions`
 *   → `{ data: [{ name, period: "lifetime", values: [{ value }], title, description, id }] }`; a
 *   retired metric (`impressions`, `plays`, `clips_replays_count`, `ig_reels_aggregated_all_plays_count`,
 *   `video_views`, and any in the control API's `retiredMetrics`) fails the whole request with
 *   code 100 naming it; a media younger than
 *   `insightsLagMs` has no data yet (`data: []`).
 * - Instagram business discovery `GET /{own-ig-user-id}?fields=business_discovery.username(h){followers_count,media_count,media{like_count,comments_count,timestamp}}`;
 *   an unknown or personal handle → 110 / 2207013.
 * - Facebook `GET /{post-id}?fields=insights.metric(post_media_view,post_total_media_view_unique),reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares`
 *   (`shares` absent while there are none, as Graph does), and `GET /{post-id}/insights?metric=…`;
 *   page fields `GET /{page-id-or-username}?fields=followers_count,fan_count,name`.
 * - TikTok `POST /v2/video/query/?fields=id,like_count,comment_count,share_count,view_count` with
 *   `{ filters: { video_ids } }` (≤ 20): the token's own public videos; others are left out.
 *   `tiktokQueryPerMinute` per token (documented: 600, sliding minute) → 429.
 *
 * A post deleted through the control API answers Graph 100/33 and is left out by TikTok.
 * Values grow with the post's age on the simulated clock, deterministically from its id.
 */

export const RETIRED_IG_METRICS = new Set([
  "impressions",
  "plays",
  "clips_replays_count",
  "ig_reels_aggregated_all_plays_count",
  "video_views",
]);
const IG_METRICS = new Set(["views", "reach", "likes", "comments", "saved", "shares", "total_interactions", "follows"]);
const FB_METRICS = new Set([
  "post_media_view",
  "post_total_media_view_unique",
  "post_clicks",
  "post_reactions_by_type_total",
]);

/** A number that grows with the post's age: seeded by the id, so every run sees a larger one. */
function grow(post: { id: string; createdAt: number }, now: number, name: string, scale: number): number {
  const h = createHash("sha1").update(`${post.id}:${name}`).digest().readUInt32BE(0);
  const base = 1 + (h % 97);
  const hours = Math.max(0, now - post.createdAt) / 3_600_000;
  return Math.floor(base * scale * Math.sqrt(hours + 1));
}

function igValues(post: SimPost, now: number): Record<string, number> {
  const views = grow(post, now, "views", 40);
  const reach = Math.floor(views * 0.7);
  const likes = grow(post, now, "likes", 3);
  const comments = grow(post, now, "comments", 0.4);
  const saved = grow(post, now, "saved", 0.3);
  const shares = grow(post, now, "shares", 0.2);
  return {
    views,
    reach,
    likes,
    comments,
    saved,
    shares,
    total_interactions: likes + comments + saved + shares,
    follows: 0,
  };
}

const unknownObject = (id: string) =>
  graphError(400, {
    code: 100,
    subcode: 33,
    type: "GraphMethodException",
    message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
  });

function livePost(state: SimState, platform: SimPost["platform"], id: string): SimPost | undefined {
  const p = state.posts.find((x) => x.platform === platform && x.id === id);
  return p && !p.deletedAt ? p : undefined;
}

/** `insights` data entries for the metrics asked, or an error naming a retired / unknown one. */
function insightsData(
  state: SimState,
  metrics: string[],
  known: Set<string>,
  values: Record<string, number> | undefined,
  mediaId: string,
): Reply | { data: unknown[] } {
  for (const m of metrics) {
    if (RETIRED_IG_METRICS.has(m) || state.config.retiredMetrics.includes(m))
      return graphError(400, {
        code: 100,
        message: `(#100) Starting from version v22.0 and above, the ${m} metric is no longer supported for this media.`,
      });
    if (!known.has(m))
      return graphError(400, {
        code: 100,
        message: `(#100) metric[${metrics.indexOf(m)}] must be one of the following values: ${[...known].join(", ")}`,
      });
  }
  if (!values) return { data: [] };
  return {
    data: metrics
      .filter((m) => values[m] !== undefined)
      .map((m) => ({
        name: m,
        period: "lifetime",
        values: [{ value: values[m] }],
        title: m,
        description: `Lifetime ${m}`,
        id: `${mediaId}/insights/${m}/lifetime`,
      })),
  };
}

/** Instagram: media insights and business discovery. Returns false when the path is not one of them. */
export async function instagramInsights(state: SimState, sim: SimRequest): Promise<boolean> {
  if (sim.method !== "GET") return false;
  const [id, edge, ...rest] = sim.path.split("/").filter(Boolean);
  if (!id || rest.length) return false;
  const token = graphToken(sim);
  if (edge === "insights") {
    const post = state.posts.find((p) => p.platform === "instagram" && p.id === id);
    await run(state, sim, {
      family: "graph",
      platform: "instagram",
      operation: "instagram.media_insights",
      accountId: post?.accountId,
      objects: [id],
      auth: () => {
        const r = checkGraphToken(state, "instagram", token, post?.accountId);
        return "error" in r ? r.error : undefined;
      },
      perform: () => {
        const live = livePost(state, "instagram", id);
        if (!live) return unknownObject(id);
        const metrics = (sim.query.get("metric") ?? "").split(",").filter(Boolean);
        if (!metrics.length) return graphError(400, { code: 100, message: "(#100) The parameter metric is required" });
        const young = state.now() - live.createdAt < state.config.insightsLagMs;
        const out = insightsData(state, metrics, IG_METRICS, young ? undefined : igValues(live, state.now()), id);
        return "status" in out ? out : json(200, out);
      },
    });
    return true;
  }
  const fields = sim.query.get("fields") ?? "";
  const bd = /business_discovery\.username\(([^)]*)\)/.exec(fields);
  if (!edge && bd) {
    const handle = bd[1] ?? "";
    await run(state, sim, {
      family: "graph",
      platform: "instagram",
      operation: "instagram.business_discovery",
      accountId: id,
      auth: () => {
        const r = checkGraphToken(state, "instagram", token, id);
        return "error" in r ? r.error : undefined;
      },
      perform: () => {
        const pub = state.publicAccounts.get(`instagram:${handle.toLowerCase()}`);
        if (pub?.kind !== "business" || !pub)
          return json(400, {
            error: {
              message: "Invalid user id",
              type: "OAuthException",
              code: 110,
              error_subcode: 2207013,
              is_transient: false,
              error_user_title: "Cannot find user",
              error_user_msg: `The user with username: ${handle} cannot be found.`,
              fbtrace_id: newId("Sim"),
            },
          });
        const now = state.now();
        const media = pub.media.map((m) => ({
          id: m.id,
          like_count: grow(m, now, "likes", 3),
          comments_count: grow(m, now, "comments", 0.4),
          timestamp: new Date(m.createdAt).toISOString().replace(/\.\d{3}Z$/, "+0000"),
        }));
        return json(200, {
          business_discovery: {
            id: pub.id,
            followers_count: pub.followers + Math.floor((now - pub.createdAt) / 3_600_000),
            media_count: pub.media.length,
            media: { data: media },
          },
          id,
        });
      },
    });
    return true;
  }
  return false;
}

function fbValues(post: SimPost, now: number) {
  const views = grow(post, now, "views", 30);
  return {
    post_media_view: views,
    post_total_media_view_unique: Math.floor(views * 0.6),
    post_clicks: grow(post, now, "clicks", 0.5),
    reactions: grow(post, now, "likes", 2),
    comments: grow(post, now, "comments", 0.3),
    // Graph leaves `shares` out while a post has none: fresh posts have none.
    shares: now - post.createdAt < 3_600_000 ? 0 : grow(post, now, "shares", 0.2),
  };
}

/** Facebook: post insights and fields, page fields. Returns false when the path is not one of them. */
export async function facebookInsights(state: SimState, sim: SimRequest): Promise<boolean> {
  if (sim.method !== "GET") return false;
  const [id, edge, ...rest] = sim.path.split("/").filter(Boolean);
  if (!id || rest.length || (edge && edge !== "insights")) return false;
  const token = graphToken(sim);
  const isPost = id.includes("_");
  if (isPost) {
    const pageId = id.split("_")[0];
    await run(state, sim, {
      family: "graph",
      platform: "facebook",
      operation: "facebook.post_insights",
      accountId: pageId,
      objects: [id],
      auth: () => {
        const r = checkGraphToken(state, "facebook", token, pageId);
        return "error" in r ? r.error : undefined;
      },
      perform: () => {
        const live = livePost(state, "facebook", id);
        if (!live) return unknownObject(id);
        const now = state.now();
        const v = fbValues(live, now);
        const young = now - live.createdAt < state.config.insightsLagMs;
        const metricValues = young ? undefined : (v as unknown as Record<string, number>);
        if (edge === "insights") {
          const metrics = (sim.query.get("metric") ?? "").split(",").filter(Boolean);
          const out = insightsData(state, metrics, FB_METRICS, metricValues, id);
          return "status" in out ? out : json(200, out);
        }
        const fields = sim.query.get("fields") ?? "id";
        const body: Record<string, unknown> = { id };
        const m = /insights\.metric\(([^)]*)\)/.exec(fields);
        if (m) {
          const out = insightsData(state, (m[1] ?? "").split(",").filter(Boolean), FB_METRICS, metricValues, id);
          if ("status" in out) return out;
          body.insights = out;
        }
        if (/(^|,)reactions/.test(fields))
          body.reactions = { data: [], summary: { total_count: v.reactions, viewer_reaction: "NONE" } };
        if (/(^|,)comments/.test(fields))
          body.comments = { data: [], summary: { order: "ranked", total_count: v.comments, can_comment: true } };
        if (/(^|,)shares/.test(fields) && v.shares > 0) body.shares = { count: v.shares };
        if (/(^|,)created_time/.test(fields))
          body.created_time = new Date(live.createdAt).toISOString().replace(/\.\d{3}Z$/, "+0000");
        return json(200, body);
      },
    });
    return true;
  }
  if (edge) return false;
  const fields = sim.query.get("fields") ?? "";
  if (!/followers_count|fan_count/.test(fields)) return false;
  await run(state, sim, {
    family: "graph",
    platform: "facebook",
    operation: "facebook.page",
    accountId: id,
    auth: () => {
      // Any valid page token may read another page's public fields.
      const r = checkGraphToken(state, "facebook", token, undefined);
      return "error" in r ? r.error : undefined;
    },
    perform: () => {
      const pub =
        state.publicAccounts.get(`facebook:${id.toLowerCase()}`) ??
        [...state.publicAccounts.values()].find((a) => a.platform === "facebook" && a.id === id);
      if (!pub) return unknownObject(id);
      const followers = pub.followers + Math.floor((state.now() - pub.createdAt) / 3_600_000);
      const body: Record<string, unknown> = { id: pub.id };
      if (fields.includes("name")) body.name = pub.handle;
      if (fields.includes("followers_count")) body.followers_count = followers;
      if (fields.includes("fan_count")) body.fan_count = Math.floor(followers * 0.9);
      return json(200, body);
    },
  });
  return true;
}

/** TikTok: `POST /v2/video/query/`. Returns false for any other path. */
export async function tiktokQuery(state: SimState, sim: SimRequest): Promise<boolean> {
  if (sim.method !== "POST" || sim.path.replace(/\/+$/, "") !== "/v2/video/query") return false;
  const token = bearer(sim);
  const tokenAccount = token ? state.tokens.get(token)?.accountId : undefined;
  const filters0 = (sim.body.filters ?? {}) as { video_ids?: unknown };
  const asked = Array.isArray(filters0.video_ids) ? filters0.video_ids.map(String) : [];
  let owner = "";
  await run(state, sim, {
    family: "tiktok",
    platform: "tiktok",
    operation: "tiktok.video_query",
    accountId: tokenAccount,
    objects: asked,
    auth: () => {
      const r = checkTikTokToken(state, token);
      if ("error" in r) return r.error;
      owner = r.accountId;
      return undefined;
    },
    perform: () => {
      if (!state.allow(`query:${token}`, state.config.tiktokQueryPerMinute)) {
        state.limitHit("tiktok.video_query");
        return tiktokError(429, "rate_limit_exceeded", "API rate limit exceeded, please retry later.", {
          "retry-after": "60",
        });
      }
      const filters = (sim.body.filters ?? {}) as { video_ids?: unknown };
      const ids = Array.isArray(filters.video_ids) ? filters.video_ids.map(String) : [];
      if (!ids.length || ids.length > 20)
        return tiktokError(400, "invalid_params", "filters.video_ids must hold 1 to 20 ids.");
      const fields = (sim.query.get("fields") ?? "id").split(",");
      const now = state.now();
      const videos = ids
        .map((id) => state.posts.find((p) => p.platform === "tiktok" && p.id === id && p.accountId === owner))
        .filter((p): p is SimPost => !!p && !p.deletedAt && p.visibleAt <= now)
        .map((p) => {
          const all: Record<string, unknown> = {
            id: p.id,
            view_count: grow(p, now, "views", 50),
            like_count: grow(p, now, "likes", 4),
            comment_count: grow(p, now, "comments", 0.5),
            share_count: grow(p, now, "shares", 0.3),
            create_time: Math.floor(p.createdAt / 1000),
            title: p.caption,
          };
          return Object.fromEntries(fields.filter((f) => f in all).map((f) => [f, all[f]]));
        });
      return json(200, {
        data: { videos, cursor: 0, has_more: false },
        error: { code: "ok", message: "", log_id: newId("log") },
      });
    },
  });
  return true;
}
