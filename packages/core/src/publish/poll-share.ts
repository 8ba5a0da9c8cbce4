import type { StatusQuota } from "../config/publishing";
import { db } from "../db/service";
import type { PostItem } from "../post/post";
import { logger, redactString } from "../util/logger";
import { dueAtMs } from "./transitions";

/**
 * How many of an account's posts may be polling a platform's status endpoint at the same time as
 * this one (itself included) — the `n` its share of the quota is divided by (config/publishing.ts
 * `pollShare`). Read once, with a Query and no write, when the post's final call is sent (in
 * parallel with it), then carried with the post's `continue` messages.
 *
 * Counted, among the account's posts of the same platform:
 * - every post still `publishing` (polling, or about to send its final call, whenever it was due:
 *   a retried or held post; a video still processing after minutes);
 * - a `scheduled` post due within `shareWindowMs` of this post's final call (it will poll soon);
 * - a finished post whose final call was made within `shareWindowMs` of this one's (its polls
 *   may share a minute with ours).
 * Each post then makes at most ⌊(quota − reserve) / n⌋ checks in any minute, so the posts that
 * count each other never exceed the quota together. Posts count each other symmetrically when
 * they are due within the window of each other; a post created later, due just after this one,
 * counts this one (it is `publishing`); this one's calls are then mostly behind it (the dense
 * checks are the first 3 s) and the reserve covers the rest.
 */
export function postsSharingQuota(
  posts: ReadonlyArray<Pick<PostItem, "id" | "platform" | "status" | "scheduledFor" | "heldUntil" | "finalCallAt">>,
  self: Pick<PostItem, "id" | "platform">,
  finalCallAtMs: number,
  windowMs: number,
): number {
  let n = 1;
  for (const p of posts) {
    if (p.id === self.id || p.platform !== self.platform) continue;
    const near = (at: number) => Math.abs(at - finalCallAtMs) <= windowMs;
    if (p.status === "publishing") n++;
    else if (p.status === "scheduled" && p.scheduledFor) {
      if (near(dueAtMs({ scheduledFor: p.scheduledFor, heldUntil: p.heldUntil }))) n++;
    } else if (p.finalCallAt && near(Date.parse(p.finalCallAt))) n++;
  }
  return n;
}

/** Items read at most (one page): an account never has that many posts polling at once. */
const READ_CAP = 250;
/**
 * How far back, by scheduled time, posts still `publishing` are looked for: the retry window
 * (an hour by default) and the processing deadline (an hour) together.
 */
const LOOK_BACK_MS = 2 * 60 * 60 * 1_000;

/**
 * Reads the account's posts around `finalCallAtMs` (the byAccount index, by scheduled time: from
 * two hours before to `shareWindowMs` after) and counts those sharing the status quota with
 * `post`. On a read failure, `quota.fallbackPosts` (a cautious share; logged).
 */
export async function readPollShare(
  post: Pick<PostItem, "id" | "platform" | "accountId">,
  finalCallAtMs: number,
  quota: StatusQuota,
): Promise<number> {
  try {
    const iso = (ms: number) => new Date(ms).toISOString();
    const { data } = await db()
      .entities.post.query.byAccount({ accountId: post.accountId })
      .between(
        { calendarAt: iso(finalCallAtMs - LOOK_BACK_MS) },
        { calendarAt: iso(finalCallAtMs + quota.shareWindowMs + 1) },
      )
      .go({
        limit: READ_CAP,
        pages: 1,
        attributes: ["id", "platform", "status", "scheduledFor", "heldUntil", "finalCallAt"],
      });
    return postsSharingQuota(data as PostItem[], post, finalCallAtMs, quota.shareWindowMs);
  } catch (err) {
    logger.warn("could not read the account's posts for the status quota: polling with a cautious share", {
      postId: post.id,
      error: redactString(err instanceof Error ? err.message : String(err)),
    });
    return quota.fallbackPosts;
  }
}
