/**
 * What the metrics refresh asks each platform for, and under which of Studio's names
 * (api.md: impressions, reach, views, likes, comments, shares, saves) it stores each answer.
 * Configuration, not code: the platforms rename and retire metrics (platforms.md). A metric the
 * platform rejects as retired is dropped for the rest of the run (and logged); fix it here.
 */
export const metricsConfig = {
  /** Posts published this long ago or less are refreshed. */
  windowDays: 30,
  /** Posts per batch (one TikTok query; ten Graph calls side by side). */
  batchSize: 10,
  /** Graph usage (X-App-Usage / X-Business-Use-Case-Usage) at which a run pauses. */
  pauseAtUsagePercent: 75,
  /** TikTok `/v2/video/query/`: documented 600 per sliding minute; we stay below. */
  tiktokQueriesPerMinute: 500,
  /** Immediate retries of a failed fetch inside one delivery (only the failed posts). */
  inlineRetries: 2,
  /** Re-sends of one account's message in one run (rate limits, pauses, leftovers). */
  maxHops: 12,
  /** Per-request timeout of a metrics read, ms (`STUDIO_METRICS_TIMEOUT_MS` shortens it for tests). */
  timeoutMs: () => Number(process.env.STUDIO_METRICS_TIMEOUT_MS ?? 8_000),
  instagram: {
    metrics: ["views", "reach", "likes", "comments", "saved", "shares", "total_interactions"],
    names: { views: "views", reach: "reach", likes: "likes", comments: "comments", saved: "saves", shares: "shares" },
  },
  facebook: {
    metrics: ["post_media_view", "post_total_media_view_unique"],
    names: {
      post_media_view: "views",
      post_total_media_view_unique: "reach",
      reactions: "likes",
      comments: "comments",
      shares: "shares",
    },
  },
  tiktok: {
    fields: ["id", "view_count", "like_count", "comment_count", "share_count"],
    names: { view_count: "views", like_count: "likes", comment_count: "comments", share_count: "shares" },
  },
} as const;

/** Studio's metric names, in the order the API documents them. */
export const METRIC_NAMES = ["impressions", "reach", "views", "likes", "comments", "shares", "saves"] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
export type MetricValues = Partial<Record<MetricName, number>>;

/**
 * The platform's answer under Studio's names; anything not reported stays absent.
 *
 * @example
 * toStudioNames({ saved: 3, total_interactions: 9 }, metricsConfig.instagram.names) // { saves: 3 }
 */
export function toStudioNames(raw: Record<string, number>, names: Record<string, string>): MetricValues {
  const out: MetricValues = {};
  for (const [k, v] of Object.entries(raw)) {
    const name = names[k] as MetricName | undefined;
    if (name && typeof v === "number" && Number.isFinite(v)) out[name] = v;
  }
  return out;
}
