import { randomBytes } from "node:crypto";
import { isConditionalFailure } from "../db/conditional";
import { db } from "../db/service";
import type { PostItem } from "../post/post";

/**
 * Media pull tickets: the witness that settles a TikTok init whose answer was lost.
 *
 * TikTok's PULL_FROM_URL init has no idempotency key, and without the `publish_id` its answer
 * carried, nothing on TikTok's side can prove that the init did nothing (the account's video
 * list does not show a video still in moderation). But TikTok cannot post a video it never
 * fetched. So Studio hands TikTok a URL of its own for each init, `…/v1/media-pulls/{postId}/
 * {ticket}`, that redirects to the post's media and records the fetch first (`pulledTicket`,
 * `pulledAt`, conditional on the ticket still being the post's). Two conditional writes on the
 * same item decide the race:
 * - the fetch recorded first: TikTok has the video, the post may go live (keep looking for it);
 * - the ticket closed first (`closeTicket`, conditional on no fetch recorded): every later fetch
 *   is refused, so that init can never post anything. The post is proven not live, and a new
 *   init (with a new ticket) is a plain retry, not a duplicate.
 *
 * `STUDIO_PUBLIC_API_URL` is the API's public base URL (set by the stack in AWS, by the local
 * runtime on this machine); without it, TikTok gets the media URL itself and a lost init answer
 * stays `unconfirmed` as before.
 */

/** The API's public base URL platforms can reach, if configured. */
export function publicApiUrl(): string | undefined {
  const url = process.env.STUDIO_PUBLIC_API_URL?.trim();
  return url ? url.replace(/\/+$/, "") : undefined;
}

/** A fresh ticket (128 random bits, URL-safe): unguessable, so the URL is the capability. */
export function newTicket(): string {
  return randomBytes(16).toString("base64url");
}

/** The URL a platform fetches the post's media through, for one ticket. */
export function pullUrl(base: string, postId: string, ticket: string): string {
  return `${base}/v1/media-pulls/${encodeURIComponent(postId)}/${ticket}`;
}

const TICKET = /^[A-Za-z0-9_-]{22}$/;

/** Whether a string has the shape of a ticket (the route refuses anything else without a read). */
export function isTicket(value: string): boolean {
  return TICKET.test(value);
}

/**
 * Records a fetch through `ticket` and returns the media URL to send the fetcher to, or
 * `undefined` when the ticket is not (or no longer) the post's: closed, replaced, or never issued.
 * A repeated fetch through the same ticket is recorded again and answered again.
 *
 * @example
 * const target = await recordPull(postId, ticket); // → "https://cdn.example.com/clip.mp4"
 */
export async function recordPull(postId: string, ticket: string, now = Date.now()): Promise<string | undefined> {
  try {
    const { data } = await db()
      .entities.post.patch({ id: postId })
      .set({ pulledTicket: ticket, pulledAt: new Date(now).toISOString() })
      .where((a, op) => op.eq(a.pullTicket, ticket))
      .go({ response: "all_new" });
    return (data as PostItem).media[0]?.url;
  } catch (err) {
    if (isConditionalFailure(err)) return undefined;
    throw err;
  }
}

/** Whether the post's current ticket was fetched. */
export function wasPulled(post: Pick<PostItem, "pullTicket" | "pulledTicket">): boolean {
  return !!post.pullTicket && post.pulledTicket === post.pullTicket;
}

/**
 * Closes the post's current ticket unless it was fetched: `"closed"` proves the init that
 * carried it can never post (TikTok never got the video and now cannot), `"pulled"` means
 * TikTok has the video. Safe to repeat; a ticket already closed answers `"closed"`.
 */
export async function closeTicket(post: PostItem): Promise<{ outcome: "closed" | "pulled"; post: PostItem }> {
  const ticket = post.pullTicket;
  if (!ticket) return { outcome: "closed", post };
  try {
    const { data } = await db()
      .entities.post.patch({ id: post.id })
      .remove(["pullTicket"])
      .where(
        (a, op) =>
          `${op.eq(a.pullTicket, ticket)} AND (${op.notExists(a.pulledTicket)} OR ${op.ne(a.pulledTicket, ticket)})`,
      )
      .go({ response: "all_new" });
    return { outcome: "closed", post: data as PostItem };
  } catch (err) {
    if (!isConditionalFailure(err)) throw err;
  }
  const { data: now } = await db().entities.post.get({ id: post.id }).go({ consistent: true });
  if (!now) return { outcome: "closed", post };
  // Either the fetch was recorded, or someone else closed (or replaced) this ticket already.
  return { outcome: now.pulledTicket === ticket ? "pulled" : "closed", post: now as PostItem };
}
