import { mediaKindOf, platformTiming } from "../../config/publishing";
import { adapters } from "../../platform";
import type { AccountCredentials } from "../../platform/types";
import type { PostItem } from "../../post/post";
import type { Budget } from "../budget";
import { closeTicket } from "../media-pull";
import type { StepResult } from "./context";
import { facebookEvidence, findOurs } from "./evidence";

/**
 * Re-checks an `unconfirmed` post: only asks the platform, never writes a handle, never sends
 * anything. Live → published; proven not live → failed (the user may reschedule); the platform
 * still cannot tell → stays unconfirmed (`wait`), and the sweep asks again later, until the
 * re-check deadline. What proves absence, per platform:
 * - Instagram: the container's status (FINISHED, ERROR, EXPIRED: media_publish did not take effect).
 * - Facebook: the page's listing (`published_posts`, or `videos` for a video) long enough after
 *   the final call shows nothing unexplained (flows/evidence.ts).
 * - TikTok: the publish status (FAILED, SEND_TO_USER_INBOX). Without a publish_id, the media
 *   ticket (media-pull.ts): closing a ticket TikTok never fetched proves the init can never post
 *   (the only write a re-check makes). A fetched video, or no ticket: recent videos do not list
 *   a video in moderation, so such a post stays unconfirmed.
 */
export async function recheckUnconfirmed(
  post: PostItem,
  creds: AccountCredentials,
  budget: Budget,
  now: number,
): Promise<StepResult> {
  const a = adapters({ timeoutMs: () => budget.timeoutFor(10_000) });
  const stay: StepResult = { kind: "wait", delayMs: 0 };
  const notLive = (why: string): StepResult => ({
    kind: "failed",
    code: "post.not_published",
    message: `${why} ${post.lastError?.message ? `Last error: ${post.lastError.message} ` : ""}Reschedule it to try again.`,
  });
  switch (post.platform) {
    case "instagram": {
      if (!post.containerId) return notLive("Instagram never received the post.");
      const { statusCode } = await a.instagram.containerStatus(creds, post.containerId);
      if (statusCode === "PUBLISHED") {
        const match = await findOurs(await a.instagram.recentMedia(creds, 100), post);
        return match ? { kind: "published", externalPostId: match.id, platformPostId: match.id } : stay;
      }
      if (statusCode === "IN_PROGRESS") return stay;
      return notLive("Instagram confirms the post was not published.");
    }
    case "facebook": {
      const absenceAfterMs = platformTiming("facebook", mediaKindOf(post.media)).absenceProofAfterMs;
      const e = await facebookEvidence(a.facebook, creds, post, (fn) => fn(creds), absenceAfterMs, now);
      if (e.kind === "live")
        return { kind: "published", externalPostId: e.externalPostId, platformPostId: e.platformPostId };
      if (e.kind === "absent") return notLive("The post is not on the Facebook page.");
      return stay;
    }
    case "tiktok": {
      if (post.publishId) {
        const { status, failReason, postIds } = await a.tiktok.publishStatus(creds, post.publishId);
        if (status === "PUBLISH_COMPLETE")
          return { kind: "published", externalPostId: post.publishId, platformPostId: postIds?.[0] };
        if (status === "FAILED") return notLive(`TikTok could not publish the video (${failReason ?? "no reason"}).`);
        if (status === "SEND_TO_USER_INBOX")
          return notLive("TikTok put the video in the creator's inbox instead of posting it.");
        return stay;
      }
      // The media ticket (media-pull.ts): never fetched → closed now, so the init can never post.
      if (post.pullTicket && (await closeTicket(post)).outcome === "closed")
        return notLive("TikTok never fetched the video, and now cannot: it was not posted.");
      const match = await findOurs(await a.tiktok.recentVideos(creds, 100), post);
      return match ? { kind: "published", platformPostId: match.id } : stay;
    }
  }
}
