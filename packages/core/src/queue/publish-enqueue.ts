import { publishTiming } from "../config/publishing";
import { isConditionalFailure } from "../db/conditional";
import { db } from "../db/service";
import type { Platform } from "../platforms";
import type { PostStatus } from "../post/post.entity";
import { type OutgoingMessage, sendMessages } from "./sqs";

/**
 * The dispatcher's period, seconds. 60 in AWS (the every-minute rule); the local runtime may
 * shorten it with STUDIO_DISPATCHER_PERIOD_SECONDS for tests.
 */
export const dispatcherPeriodSeconds = () => Number(process.env.STUDIO_DISPATCHER_PERIOD_SECONDS ?? 60);

/**
 * How far ahead the dispatcher (and the API) send posts, with a delay: two periods and 15 s. A
 * minute's posts are then all sent by the run a whole period before that minute starts (and
 * the API sends a post scheduled that close at once), so the dispatch of a busy minute — a
 * thousand posts at 09:00 — never competes with its own publishing for the table and the queue
 * (measured: with one period + 15 s, the posts due in a minute's first 10 s went out with p99
 * 7.2 s while that run sent the rest; bench/README.md). SQS allows delays up to 900 s.
 */
export const lookaheadMs = () => (2 * dispatcherPeriodSeconds() + 15) * 1000;

/** What enqueueing needs of a post (a stored post satisfies it). */
export interface EnqueueablePost {
  id: string;
  status: PostStatus;
  version: number;
  platform?: Platform;
  scheduledFor?: string;
}

/**
 * The messages that take a scheduled post at `version` to the queue: its publish message, with
 * `DelaySeconds` = ⌊(time until due − arriveEarlyMs) / 1 s⌋ (it arrives 1–2 s early; the worker
 * reads ahead and claims the post at its time), and, on a platform that prepares ahead
 * (config/publishing.ts `prepare`), a prepare message arriving `leadMs` before the post's time —
 * unless the post is due too soon for it to help. Where the preparation travels in the message
 * (`prepare.inMessage`: TikTok), the prepare message alone: it sends the publish message.
 */
export function publishMessages(
  post: { id: string; version: number; platform?: Platform },
  dueAtMs: number,
  now: number,
): OutgoingMessage[] {
  const dueInMs = Math.max(0, dueAtMs - now);
  const timing = publishTiming();
  const publishDelayMs = Math.max(0, dueInMs - timing.delivery.arriveEarlyMs);
  const out: OutgoingMessage[] = [
    {
      body: { kind: "publish", postId: post.id, version: post.version },
      delaySeconds: Math.floor(publishDelayMs / 1000),
    },
  ];
  const { leadMs, minLeadMs, inMessage } = timing.prepare;
  const lead = post.platform ? leadMs[post.platform] : 0;
  if (lead > 0 && dueInMs >= minLeadMs) {
    const delaySeconds = Math.floor(Math.max(0, dueInMs - lead) / 1000);
    // The preparation travels in the publish message: the prepare message sends it.
    if (post.platform && inMessage?.[post.platform])
      return [{ body: { kind: "prepare", postId: post.id, version: post.version, sendsPublish: true }, delaySeconds }];
    out.unshift({ body: { kind: "prepare", postId: post.id, version: post.version }, delaySeconds });
  }
  return out;
}

/**
 * Sends a scheduled post to the publish queue with `DelaySeconds` = time until it is due, when it
 * falls due before the dispatcher's next run, then records `enqueuedVersion`. Called by the API
 * when a post is scheduled or moved, so nothing waits for the next dispatcher run.
 *
 * A crash between the send and the record only means the dispatcher sends again: the worker
 * drops any message whose version no longer matches the post.
 *
 * @example
 * const post = await Post.schedule(ws, id, at); // returns the stored post
 * await enqueueIfDueSoon(post);
 */
export async function enqueueIfDueSoon(post: EnqueueablePost, now = Date.now()): Promise<boolean> {
  if (post.status !== "scheduled" || !post.scheduledFor) return false;
  const dueInMs = Date.parse(post.scheduledFor) - now;
  if (dueInMs > lookaheadMs()) return false;
  await sendMessages("publish", publishMessages(post, Date.parse(post.scheduledFor), now));
  await markEnqueued(post.id, post.version, now);
  return true;
}

/** Records that a message for `version` was sent; a no-op if the post moved on meanwhile. */
export async function markEnqueued(postId: string, version: number, now = Date.now()): Promise<void> {
  try {
    await db()
      .entities.post.patch({ id: postId })
      .set({ enqueuedVersion: version, enqueuedAt: new Date(now).toISOString() })
      .where((a, op) => op.eq(a.version, version))
      .go({ response: "none" });
  } catch (err) {
    if (!isConditionalFailure(err)) throw err;
  }
}
