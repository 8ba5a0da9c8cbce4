import { db } from "../db/service";
import { ValidationError } from "../errors";
import { type PostItem, type PostView, toView } from "../post/post";
import { NEARBY_WINDOW_MS } from "../post/rules";
import { nowIso } from "../util/time";
import { addDays, dayStartUtc, daysBetween, localDate } from "../util/zone";
import * as Workspace from "../workspace/workspace";

/** The longest range one calendar request may cover, in days. */
export const MAX_CALENDAR_DAYS = 62;
/** Posts one calendar request reads at most; beyond it the answer stops early (`nextFrom`). */
export const MAX_CALENDAR_POSTS = 1_000;
const PAGE = 200;

/**
 * Posts of one account closer than NEARBY_WINDOW_MS to each other, chained (a at 10:00, b at
 * 10:08, c at 10:16 are one conflict). The same warning as `post.nearby_post` at scheduling.
 */
export interface CalendarConflict {
  code: "post.nearby_post";
  accountId: string;
  /** Every post of the chain, by time (some may fall on a neighbouring day). */
  postIds: string[];
  from: string;
  to: string;
}

export interface CalendarDay {
  /** Local date `YYYY-MM-DD`. */
  date: string;
  /** First instant of the day (UTC): local midnight, or the day's first instant if midnight does not exist. */
  startsAt: string;
  /** First instant of the next day (UTC): 23 hours later on a spring-forward day, 25 on a fall-back day. */
  endsAt: string;
  posts: PostView[];
  conflicts: CalendarConflict[];
}

export interface Calendar {
  timezone: string;
  from: string;
  to: string;
  days: CalendarDay[];
  /** True when the range held more than MAX_CALENDAR_POSTS posts: ask again from `nextFrom`. */
  truncated: boolean;
  nextFrom: string | null;
}

export interface CalendarQuery {
  /** First local date, inclusive. */
  from: string;
  /** Last local date, exclusive (api.md: `to` is exclusive). */
  to: string;
  /** IANA zone; the workspace's when absent (validated by the caller). */
  tz?: string;
}

/**
 * The workspace's scheduled posts (drafts with a planned time included) by local day in its
 * time zone, or `tz`: days cut at local midnight, DST-correct, each with the posts that fall
 * in it (by `scheduledFor`) and the conflicts among them (same account within the nearby
 * window, cancelled posts aside, looking past the range's edges so a post at 23:58 and one at
 * 00:03 conflict on both days). At most 62 days, at most MAX_CALENDAR_POSTS posts read (one
 * `Query` of the workspace's calendar index, page by page).
 *
 * @example
 * const cal = await getCalendar(ws, { from: "2026-03-28", to: "2026-03-31", tz: "Europe/Paris" });
 * cal.days[1]; // { date: "2026-03-29", startsAt: "2026-03-28T23:00:00.000Z", endsAt: "2026-03-29T22:00:00.000Z", … }
 */
export async function getCalendar(
  workspaceId: string,
  query: CalendarQuery,
  opts: { maxPosts?: number } = {},
): Promise<Calendar> {
  const span = daysBetween(query.from, query.to);
  if (span < 1 || span > MAX_CALENDAR_DAYS) {
    throw new ValidationError("validation_failed", "Invalid request.", [
      {
        path: "to",
        message: `Must be 1 to ${MAX_CALENDAR_DAYS} days after from (to is exclusive); it is ${span}.`,
      },
    ]);
  }
  const zone = query.tz ?? (await Workspace.get(workspaceId)).timezone;
  const maxPosts = opts.maxPosts ?? MAX_CALENDAR_POSTS;
  const start = dayStartUtc(query.from, zone);
  const end = dayStartUtc(query.to, zone);

  // The range widened by the nearby window on both sides, for conflicts across its edges.
  const lower = nowIso(Date.parse(start) - NEARBY_WINDOW_MS);
  const upper = nowIso(Date.parse(end) + NEARBY_WINDOW_MS);
  const { posts, more } = await readRange(workspaceId, lower, upper, maxPosts);

  // Stop before the first day not read whole; at least one day always comes back.
  let last = query.to;
  if (more) {
    const lastRead = posts[posts.length - 1] as PostItem;
    const cut = localDate(lastRead.calendarAt, zone);
    last = cut > query.from ? cut : addDays(query.from, 1);
  }
  const conflicts = findConflicts(posts);
  const days: CalendarDay[] = [];
  const byDate = new Map<string, CalendarDay>();
  for (let d = query.from; d < last; d = addDays(d, 1)) {
    const day: CalendarDay = {
      date: d,
      startsAt: dayStartUtc(d, zone),
      endsAt: dayStartUtc(addDays(d, 1), zone),
      posts: [],
      conflicts: [],
    };
    days.push(day);
    byDate.set(d, day);
  }
  for (const p of posts) {
    if (p.calendarAt < start || p.calendarAt >= end) continue;
    byDate.get(localDate(p.calendarAt, zone))?.posts.push(toView(p));
  }
  for (const c of conflicts) {
    const dates = new Set(c.posts.map((p) => localDate(p.calendarAt, zone)));
    for (const d of dates) {
      byDate.get(d)?.conflicts.push({
        code: "post.nearby_post",
        accountId: c.accountId,
        postIds: c.posts.map((p) => p.id),
        from: c.posts[0]?.calendarAt as string,
        to: c.posts[c.posts.length - 1]?.calendarAt as string,
      });
    }
  }
  return { timezone: zone, from: query.from, to: query.to, days, truncated: more, nextFrom: more ? last : null };
}

/** Posts with a time in [lower, upper), by time, at most `max` (and whether there are more). */
async function readRange(
  workspaceId: string,
  lower: string,
  upper: string,
  max: number,
): Promise<{ posts: PostItem[]; more: boolean }> {
  const posts: PostItem[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: PostItem[]; cursor: string | null } = await db()
      .entities.post.query.byWorkspace({ workspaceId })
      .between({ calendarAt: lower }, { calendarAt: upper })
      .where((a, op) => `${op.lt(a.calendarAt, upper)}`)
      .go({ cursor, limit: Math.min(PAGE, max + 1 - posts.length) });
    posts.push(...page.data);
    cursor = page.cursor;
  } while (cursor && posts.length <= max);
  // More than `max`: getCalendar drops the last day read, so every day it returns is complete.
  return posts.length > max ? { posts: posts.slice(0, max), more: true } : { posts, more: false };
}

/** Chains of one account's non-cancelled posts, each within NEARBY_WINDOW_MS of the previous. */
function findConflicts(posts: PostItem[]): { accountId: string; posts: PostItem[] }[] {
  const byAccount = new Map<string, PostItem[]>();
  for (const p of posts) {
    if (p.status === "cancelled" || !p.scheduledFor) continue;
    const list = byAccount.get(p.accountId);
    if (list) list.push(p);
    else byAccount.set(p.accountId, [p]);
  }
  const out: { accountId: string; posts: PostItem[] }[] = [];
  for (const [accountId, list] of byAccount) {
    let chain: PostItem[] = [];
    for (const p of list) {
      const prev = chain[chain.length - 1];
      if (prev && Date.parse(p.calendarAt) - Date.parse(prev.calendarAt) <= NEARBY_WINDOW_MS) {
        chain.push(p);
        continue;
      }
      if (chain.length > 1) out.push({ accountId, posts: chain });
      chain = [p];
    }
    if (chain.length > 1) out.push({ accountId, posts: chain });
  }
  return out;
}
