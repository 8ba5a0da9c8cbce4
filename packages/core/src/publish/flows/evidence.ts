import { publishTiming } from "../../config/publishing";
import { db } from "../../db/service";
import type { AccountCredentials, FacebookAdapter, RemotePost } from "../../platform/types";
import type { PostItem } from "../../post/post";
import { logger } from "../../util/logger";

/** Clock slack between Studio's `finalCallAt` and the platform's creation time. */
const MATCH_SLACK_MS = 60_000;

type Matchable = Pick<PostItem, "id" | "accountId" | "caption" | "finalCallAt" | "scheduledFor" | "createdAt">;

const sinceOf = (post: Matchable) =>
  Date.parse(post.finalCallAt ?? post.scheduledFor ?? post.createdAt) - MATCH_SLACK_MS;

/**
 * Finds our post among the platform's recent ones: same caption, created no earlier than our
 * final call (minus clock slack), and not already another Studio post of the account (two posts
 * with one caption must not both claim the same live post). The platform's ids are compared
 * with the same kind of id on the other posts: `ownedByOthers` holds both kinds.
 */
export async function findOurs<T extends { id: string; caption: string; createdAt: string }>(
  candidates: T[],
  post: Matchable,
): Promise<T | undefined> {
  const since = sinceOf(post);
  const fits = candidates.filter((c) => c.caption === post.caption && Date.parse(c.createdAt) >= since);
  if (!fits.length) return undefined;
  const owned = await ownedByOthers(post);
  return fits.find((c) => !owned.has(c.id));
}

/**
 * Every platform id the account's other Studio posts around this one's time already own: their
 * `externalPostId` (IG media id, FB `post_id`/video id, TikTok publish_id) and their
 * `platformPostId` (IG media id, FB page-post id, TikTok video id). A listing's id is compared
 * with this set, so a TikTok video id meets the other posts' video ids, a Facebook page-post id
 * their page-post ids, a Facebook video id their video ids (gsi2: byAccount). A Facebook video
 * published before `platformPostId` existed owns its page post too, derived from its video id.
 */
export async function ownedByOthers(post: Pick<PostItem, "id" | "accountId" | "scheduledFor" | "createdAt">) {
  const at = Date.parse(post.scheduledFor ?? post.createdAt);
  const { data } = await db()
    .entities.post.query.byAccount({ accountId: post.accountId })
    .between(
      { calendarAt: new Date(at - 86_400_000).toISOString() },
      { calendarAt: new Date(at + 86_400_000).toISOString() },
    )
    .go({ pages: "all" });
  const owned = new Set<string>();
  let page: string | undefined;
  for (const p of data) {
    if (p.id === post.id) continue;
    if (p.externalPostId) owned.add(p.externalPostId);
    if (p.platformPostId) owned.add(p.platformPostId);
    else if (p.externalPostId && isOldFacebookVideo(p)) {
      // Published before `platformPostId` existed: its `externalPostId` is the video id, and the
      // page lists the video as the page post `{page-id}_{video-id}` (platform/facebook.ts).
      page ??= await pageIdOf(post.accountId);
      if (page) owned.add(`${page}_${p.externalPostId}`);
    }
  }
  return owned;
}

const isOldFacebookVideo = (p: PostItem) =>
  p.platform === "facebook" && p.media[0]?.type === "video" && !p.externalPostId?.includes("_");

async function pageIdOf(accountId: string): Promise<string | undefined> {
  const { data } = await db().entities.account.get({ id: accountId }).go();
  return data?.externalAccountId;
}

/**
 * The window in which the platform can have created the post of our final call: from the call
 * (minus clock slack) to the latest the platform can have received it (the call's timeout, plus
 * clock slack). The platform creates the post when it handles the request, so a post created
 * after that window is never ours, whatever its caption.
 */
function windowOf(post: Matchable): { since: number; until: number } {
  const at = Date.parse(post.finalCallAt ?? post.scheduledFor ?? post.createdAt);
  return { since: at - MATCH_SLACK_MS, until: at + publishTiming().invocation.callTimeoutMs + MATCH_SLACK_MS };
}

/**
 * Absence proven by a listing: nothing at all (whatever its caption: the platform may have
 * changed it) appeared on the account in the window where our final call's post can have been
 * created that is not another Studio post's, and the listing reaches back past that window (it
 * is newest first: a full page whose oldest item is inside the window may be cut short). Posts
 * created after the window (the page owner posting by hand, later Studio posts) do not matter.
 */
export async function listingProvesAbsence(listing: RemotePost[], limit: number, post: Matchable): Promise<boolean> {
  const { since, until } = windowOf(post);
  const times = listing.map((c) => Date.parse(c.createdAt));
  if (listing.length >= limit && Math.min(...times) >= since) {
    logger.info("absence not proven: the listing may be cut short", { postId: post.id, listed: listing.length });
    return false;
  }
  const inWindow = listing.filter((_, i) => (times[i] as number) >= since && (times[i] as number) <= until);
  if (!inWindow.length) return true;
  const owned = await ownedByOthers(post);
  const unowned = inWindow.filter((c) => !owned.has(c.id));
  if (unowned.length)
    logger.info("absence not proven: posts on the account around the final call that no Studio post owns", {
      postId: post.id,
      unowned: unowned.map((c) => `${c.id} ${c.createdAt}`),
    });
  return unowned.length === 0;
}

export type Evidence =
  | { kind: "live"; externalPostId: string; platformPostId?: string }
  | { kind: "absent" }
  | { kind: "unknown" };

/** Graph's largest page. */
const LISTING = 100;

/**
 * What Facebook can prove about a post whose final call's answer was lost. Text and photo posts
 * are listed in the page's `published_posts` within seconds; a video only once Facebook has
 * processed it, but the page's `videos` edge lists it as soon as it was uploaded — so a video is
 * looked for there. Found → live. Absent counts only once `absenceAfterMs` have passed since the
 * final call and the listing shows nothing unexplained (`listingProvesAbsence`); otherwise unknown.
 */
export async function facebookEvidence(
  fb: FacebookAdapter,
  creds: AccountCredentials,
  post: PostItem,
  call: <T>(fn: (c: AccountCredentials) => Promise<T>) => Promise<T>,
  absenceAfterMs: number,
  now: number,
): Promise<Evidence> {
  const video = post.media[0]?.type === "video";
  const listing = video
    ? await call((c) => fb.recentVideos(c, LISTING))
    : await call((c) => fb.recentPosts(c, LISTING));
  const match = await findOurs(listing, post);
  if (match) {
    return video
      ? { kind: "live", externalPostId: match.id, platformPostId: fb.videoPostId(creds, match.id) }
      : { kind: "live", externalPostId: match.id, platformPostId: match.id };
  }
  const waited = now - Date.parse(post.finalCallAt ?? post.updatedAt);
  if (absenceAfterMs <= 0 || waited < absenceAfterMs) return { kind: "unknown" };
  return (await listingProvesAbsence(listing, LISTING, post)) ? { kind: "absent" } : { kind: "unknown" };
}
