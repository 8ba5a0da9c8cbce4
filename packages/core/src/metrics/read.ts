import * as Account from "../account/account";
import { METRIC_NAMES, type MetricValues } from "../config/metrics";
import { db } from "../db/service";
import { NotFoundError } from "../errors";
import * as Post from "../post/post";
import { withCursor } from "../util/cursor";
import * as Workspace from "../workspace/workspace";
import { dayIn } from "./rollup";

export interface Snapshot {
  capturedAt: string;
  values: MetricValues;
}

/**
 * A post's snapshots, oldest first (`GET /v1/posts/{id}/metrics`). 404 `post.not_found` for
 * another workspace's post.
 *
 * @example
 * const { items } = await postMetrics(workspaceId, postId, { limit: 200 });
 */
export async function postMetrics(
  workspaceId: string,
  postId: string,
  page: { limit: number; cursor?: string },
): Promise<{ items: Snapshot[]; nextCursor: string | null }> {
  await Post.get(workspaceId, postId);
  const { data, cursor } = await withCursor(page.cursor, () =>
    db()
      .entities.postMetrics.query.byPost({ postId })
      .go({ limit: page.limit, cursor: page.cursor ?? null }),
  );
  return { items: data.map((s) => ({ capturedAt: s.capturedAt, values: s.values })), nextCursor: cursor ?? null };
}

export interface AccountSummary {
  accountId: string;
  timezone: string;
  from: string;
  to: string;
  totals: { posts: number } & MetricValues;
  days: Array<{ date: string; posts: number } & MetricValues>;
}

/**
 * An account's metrics over the last `days` days in the workspace's time zone
 * (`GET /v1/accounts/{id}/metrics?days=7`): for each day, the posts published that day and the
 * sum of their latest values; totals over the period. Reads the daily roll-up (one item per day
 * with posts, at most `days` items in one Query), never the snapshots. A metric no post of the
 * day reported is absent.
 *
 * @example
 * const s = await accountSummary(workspaceId, accountId, 7);
 */
export async function accountSummary(
  workspaceId: string,
  accountId: string,
  days: number,
  now = Date.now(),
): Promise<AccountSummary> {
  const [workspace, account] = await Promise.all([Workspace.get(workspaceId), Account.find(workspaceId, accountId)]);
  if (!account) throw new NotFoundError("account.not_found", "Account not found.");
  const tz = workspace.timezone;
  const dates = lastDays(dayIn(now, tz), days);
  const from = dates[0]!;
  const to = dates.at(-1)!;
  const { data } = await db()
    .entities.accountMetricsDay.query.byAccount({ accountId })
    .between({ date: from }, { date: to })
    .go({ pages: "all" });
  const byDate = new Map(data.map((d) => [d.date, d]));
  const totals: { posts: number } & MetricValues = { posts: 0 };
  const out = dates.map((date) => {
    const row: { date: string; posts: number } & MetricValues = { date, posts: 0 };
    const item = byDate.get(date);
    for (const entry of Object.values((item?.posts ?? {}) as Record<string, { values: MetricValues }>)) {
      row.posts++;
      for (const name of METRIC_NAMES) {
        const v = entry.values?.[name];
        if (typeof v === "number") row[name] = (row[name] ?? 0) + v;
      }
    }
    totals.posts += row.posts;
    for (const name of METRIC_NAMES) if (row[name] !== undefined) totals[name] = (totals[name] ?? 0) + row[name]!;
    return row;
  });
  return { accountId, timezone: tz, from, to, totals, days: out };
}

/** The `n` calendar dates ending at `last` (YYYY-MM-DD), oldest first. Pure date arithmetic. */
export function lastDays(last: string, n: number): string[] {
  const [y, m, d] = last.split("-").map(Number) as [number, number, number];
  const end = Date.UTC(y, m - 1, d);
  return Array.from({ length: n }, (_, i) => new Date(end - (n - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}
