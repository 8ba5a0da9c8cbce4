import { crashPoint } from "../crash";
import { FlowContext, reconcileByRecentPosts, type StepResult } from "./context";

/**
 * TikTok (PULL_FROM_URL): creator_info → init (irreversible: TikTok pulls and posts the video)
 * → poll the publish status until PUBLISH_COMPLETE. Once a publish_id exists the post is only
 * ever polled, never initialised again; polls back off within the status quota (30 a minute per
 * token) until the processing deadline, then the post is `unconfirmed` (init was sent: it may
 * still go live) and the slow re-checks keep asking. If init's answer was lost (no publish_id),
 * the account's recent videos are the only witness; if they cannot tell, `unconfirmed`.
 */
export async function tiktokStep(ctx: FlowContext): Promise<StepResult> {
  // Re-entered once after init, with publishId set: the poll branch answers.
  const tt = ctx.api.tiktok;
  const publishId = ctx.post.publishId;
  if (publishId) {
    const { status, failReason, postIds } = await ctx.call((c) => tt.publishStatus(c, publishId));
    switch (status) {
      case "PROCESSING_DOWNLOAD":
      case "PROCESSING_UPLOAD":
        return (
          ctx.processingWait(ctx.post.finalCallAt) ?? {
            kind: "unconfirmed",
            code: "post.processing_timeout",
            message: `TikTok was still processing the video ${FlowContext.minutes(ctx.timing.processing.deadlineMs)} after it was sent; it may still be posted. Studio keeps checking; check the TikTok app.`,
          }
        );
      case "PUBLISH_COMPLETE":
        // The video id arrives once TikTok makes the post public (absent for a private post).
        return { kind: "published", externalPostId: publishId, platformPostId: postIds?.[0] };
      case "SEND_TO_USER_INBOX":
        return {
          kind: "failed",
          code: "platform.sent_to_inbox",
          message: "TikTok put the video in the creator's inbox instead of posting it. Finish it in the TikTok app.",
        };
      case "FAILED":
        return {
          kind: "failed",
          code:
            failReason?.includes("format") || failReason?.includes("file")
              ? "post.media_rejected"
              : "platform.rejected",
          message: `TikTok could not publish the video (${failReason ?? "no reason given"}). Fix it and reschedule.`,
        };
    }
  }
  if (ctx.post.finalCallAt) {
    const recent = await ctx.call((c) => tt.recentVideos(c, 100));
    // A video found this way has a video id (platformPostId) but no publish_id: TikTok never gave one.
    return reconcileByRecentPosts(
      ctx,
      recent,
      (match) => ({ platformPostId: match.id }),
      "TikTok did not answer the publish request and the video is not among the account's recent videos (it may still be in moderation). Studio keeps checking; check the TikTok app and settle it by hand if needed.",
    );
  }

  const privacyLevel = privacyLevelFor(await ctx.call((c) => tt.creatorInfo(c)));
  const video = ctx.post.media[0];
  if (!video) return { kind: "failed", code: "post.media_invalid", message: "A TikTok post needs exactly one video." };
  const { publishId: id } = await ctx.finalCall((c) =>
    tt.initVideo(c, { title: ctx.post.caption, videoUrl: video.url, privacyLevel }),
  );
  await ctx.save({ publishId: id, step: "publish_initiated" });
  crashPoint("after_init", ctx.post);
  return tiktokStep(ctx); // ask once right away: a short video is often complete already
}

/** The privacy level a post goes out with: public when the creator may post publicly, else the first offered. */
export function privacyLevelFor(info: { privacyLevelOptions: string[] }): string {
  return info.privacyLevelOptions.includes("PUBLIC_TO_EVERYONE")
    ? "PUBLIC_TO_EVERYONE"
    : (info.privacyLevelOptions[0] ?? "SELF_ONLY");
}
