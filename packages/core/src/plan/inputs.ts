import { DateTime } from "luxon";
import { db } from "../db/service";

/**
 * What the LLM features learn about a workspace besides its request: the brand profile (or
 * defaults, said so), a metrics summary of the last days, and the competitors' latest numbers.
 * Each is one function, so a better source (the metrics roll-up) can replace it without
 * touching the prompts. Every one is graceful with no history: empty, never an error.
 */

export interface BrandProfile {
  name: string;
  tone: string;
  audience: string;
  topics: string[];
  avoid: string[];
  [key: string]: unknown;
}

/** The workspace's brand profile, or defaults built from its name (`defaulted: true`). */
export function brandProfileOf(workspace: { name: string; brandProfile?: unknown }): {
  profile: BrandProfile;
  defaulted: boolean;
} {
  const given = workspace.brandProfile;
  const defaults: BrandProfile = {
    name: workspace.name,
    tone: "friendly and clear",
    audience: `people who follow ${workspace.name}`,
    topics: ["behind the scenes", "tips", "what we make"],
    avoid: [],
  };
  if (!given || typeof given !== "object" || Object.keys(given).length === 0)
    return { profile: defaults, defaulted: true };
  return { profile: { ...defaults, ...(given as Record<string, unknown>) } as BrandProfile, defaulted: false };
}

const METRIC_NAMES = ["views", "reach", "impressions", "likes", "comments", "shares", "saves"] as const;

export interface MetricsSummary {
  days: number;
  postsMeasured: number;
  byPlatform: Array<{ platform: string; posts: number } & Partial<Record<(typeof METRIC_NAMES)[number], number>>>;
  /** Best posts by views (or likes), with the start of their caption. */
  topPosts: Array<{
    platform: string;
    weekday: string | null;
    hour: number | null;
    caption: string;
    views?: number;
    likes?: number;
  }>;
  /** Average views per post by local weekday of publication (only weekdays with posts). */
  byWeekday: Array<{ weekday: string; posts: number; avgViews: number }>;
}

/** Snapshots read at most (newest first): bounds a workspace with a long history. */
const MAX_SNAPSHOTS = 2_000;

/**
 * The last `days` of post metrics: the latest snapshot of each post, averaged per platform, the
 * best posts, and views by weekday of publication (in the workspace's zone). No history → zeros.
 *
 * @example
 * const metrics = await metricsSummary(ws.id, ws.timezone, 30);
 */
export async function metricsSummary(
  workspaceId: string,
  zone: string,
  days = 30,
  now = Date.now(),
): Promise<MetricsSummary> {
  const from = new Date(now - days * 86_400_000).toISOString();
  const { data } = await db()
    .entities.postMetrics.query.byWorkspace({ workspaceId })
    .gte({ capturedAt: from })
    .go({ order: "desc", count: MAX_SNAPSHOTS, pages: "all", limit: 500 });
  const latest = new Map<string, (typeof data)[number]>();
  for (const s of data) if (!latest.has(s.postId)) latest.set(s.postId, s);
  const postIds = [...latest.keys()].slice(0, 200);
  const posts = postIds.length
    ? (
        await db()
          .entities.post.get(postIds.map((id) => ({ id })))
          .go({ preserveBatchOrder: true })
      ).data
    : [];
  const postById = new Map(posts.filter((p) => p && p.workspaceId === workspaceId).map((p) => [p!.id, p!]));

  const platforms = new Map<string, { posts: number; sums: Record<string, number>; counts: Record<string, number> }>();
  const weekdays = new Map<string, { posts: number; views: number }>();
  const rows: MetricsSummary["topPosts"] = [];
  for (const [postId, s] of latest) {
    const values = (s.values ?? {}) as Record<string, unknown>;
    const p = platforms.get(s.platform) ?? { posts: 0, sums: {}, counts: {} };
    p.posts++;
    for (const m of METRIC_NAMES) {
      const v = values[m];
      if (typeof v === "number") {
        p.sums[m] = (p.sums[m] ?? 0) + v;
        p.counts[m] = (p.counts[m] ?? 0) + 1;
      }
    }
    platforms.set(s.platform, p);
    const post = postById.get(postId);
    const at = post?.publishedAt ?? post?.scheduledFor;
    const local = at ? DateTime.fromISO(at, { zone }) : undefined;
    const weekday = local?.isValid ? local.toFormat("cccc") : null;
    if (weekday && typeof values.views === "number") {
      const w = weekdays.get(weekday) ?? { posts: 0, views: 0 };
      w.posts++;
      w.views += values.views;
      weekdays.set(weekday, w);
    }
    rows.push({
      platform: s.platform,
      weekday,
      hour: local?.isValid ? local.hour : null,
      caption: (post?.caption ?? "").slice(0, 120),
      views: typeof values.views === "number" ? values.views : undefined,
      likes: typeof values.likes === "number" ? values.likes : undefined,
    });
  }
  rows.sort((a, b) => (b.views ?? b.likes ?? 0) - (a.views ?? a.likes ?? 0));
  return {
    days,
    postsMeasured: latest.size,
    byPlatform: [...platforms.entries()].map(([platform, p]) => ({
      platform,
      posts: p.posts,
      ...Object.fromEntries(Object.keys(p.sums).map((m) => [m, Math.round((p.sums[m] ?? 0) / (p.counts[m] ?? 1))])),
    })),
    topPosts: rows.slice(0, 5),
    byWeekday: [...weekdays.entries()]
      .map(([weekday, w]) => ({ weekday, posts: w.posts, avgViews: Math.round(w.views / w.posts) }))
      .sort((a, b) => b.avgViews - a.avgViews),
  };
}

export interface CompetitorSummary {
  platform: string;
  handle: string;
  status: string;
  followers?: number;
  posts?: number;
  avgLikes?: number;
  avgComments?: number;
}

/** The workspace's competitors (at most 20) with their latest snapshot's numbers, where known. */
export async function competitorSummary(workspaceId: string): Promise<CompetitorSummary[]> {
  const { data } = await db().entities.competitor.query.byWorkspace({ workspaceId }).go({ count: 20 });
  return Promise.all(
    data.map(async (c) => {
      const { data: snaps } = await db()
        .entities.competitorMetrics.query.byCompetitor({ competitorId: c.id })
        .go({ order: "desc", count: 1 });
      const values = (snaps[0]?.values ?? {}) as Record<string, unknown>;
      const num = (k: string) => (typeof values[k] === "number" ? (values[k] as number) : undefined);
      return {
        platform: c.platform,
        handle: c.handle,
        status: c.status,
        followers: num("followers"),
        posts: num("posts"),
        avgLikes: num("avgLikes"),
        avgComments: num("avgComments"),
      };
    }),
  );
}
