import { adapters } from "../../platform";
import type { AccountCredentials } from "../../platform/types";
import type { PostItem } from "../../post/post";
import { RETRY_POLICY } from "../backoff";
import { findOurs, type StepResult } from "./context";

/**
 * Re-checks an `unconfirmed` post: only asks the platform, never writes a handle, never sends
 * anything. Live → published; known not live → failed (the user may reschedule); the platform
 * still cannot tell → stays unconfirmed (`wait`), and the sweep asks again later.
 */
export async function recheckUnconfirmed(post: PostItem, creds: AccountCredentials): Promise<StepResult> {
  const a = adapters();
  const stay: StepResult = { kind: "wait", delayMs: 0 };
  const notLive = (why: string): StepResult => ({
    kind: "failed",
    code: (post.retries ?? 0) >= RETRY_POLICY.maxRetries ? "post.retries_exhausted" : "post.not_published",
    message: `${why} ${post.lastError?.message ? `Last error: ${post.lastError.message} ` : ""}Reschedule it to try again.`,
  });
  switch (post.platform) {
    case "instagram": {
      if (!post.containerId) return notLive("Instagram never received the post.");
      const { statusCode } = await a.instagram.containerStatus(creds, post.containerId);
      if (statusCode === "PUBLISHED") {
        const match = await findOurs(await a.instagram.recentMedia(creds, 50), post);
        return match ? { kind: "published", externalPostId: match.id } : stay;
      }
      if (statusCode === "IN_PROGRESS") return stay;
      return notLive("Instagram confirms the post was not published.");
    }
    case "facebook": {
      const match = await findOurs(await a.facebook.recentPosts(creds, 50), post);
      return match ? { kind: "published", externalPostId: match.id } : notLive("The post is not on the Facebook page.");
    }
    case "tiktok": {
      if (post.publishId) {
        const { status, failReason } = await a.tiktok.publishStatus(creds, post.publishId);
        if (status === "PUBLISH_COMPLETE") return { kind: "published", externalPostId: post.publishId };
        if (status === "FAILED") return notLive(`TikTok could not publish the video (${failReason ?? "no reason"}).`);
        if (status === "SEND_TO_USER_INBOX")
          return notLive("TikTok put the video in the creator's inbox instead of posting it.");
        return stay;
      }
      const match = await findOurs(await a.tiktok.recentVideos(creds, 20), post);
      return match ? { kind: "published", externalPostId: match.id } : stay;
    }
  }
}
