import { crashPoint } from "../crash";
import { closeTicket, newTicket, publicApiUrl, pullUrl, wasPulled } from "../media-pull";
import { readPollShare } from "../poll-share";
import { FlowContext, reconcileByRecentPosts, type StepResult } from "./context";

/**
 * TikTok (PULL_FROM_URL): creator_info → init (irreversible: TikTok pulls and posts the video)
 * → poll the publish status until PUBLISH_COMPLETE. Once a publish_id exists the post is only
 * ever polled, never initialised again; polls back off within the status quota (30 a minute per
 * token) until the processing deadline, then the post is `unconfirmed` (init was sent: it may
 * still go live) and the slow re-checks keep asking. If init's answer was lost (no publish_id),
 * the account's recent videos show the video if it went live; if they do not within the quick
 * reconciliation, the media ticket decides (media-pull.ts): never fetched → closed, proven not
 * live, init again; fetched → `unconfirmed` (TikTok has the video), the slow re-checks go on.
 */
export async function tiktokStep(ctx: FlowContext): Promise<StepResult> {
  // Re-entered once after init, with publishId set: the poll branch answers.
  const tt = ctx.api.tiktok;
  const publishId = ctx.post.publishId;
  if (publishId) {
    // The status endpoint's quota (30 a minute per token) is shared by the account's posts that
    // poll at the same time: this post keeps to its share (publish/poll-share.ts).
    const quota = ctx.timing.statusQuota;
    if (quota && ctx.pollShare === undefined)
      ctx.pollShare = await readPollShare(ctx.post, Date.parse(ctx.post.finalCallAt ?? ctx.post.updatedAt), quota);
    const processingTimeout: StepResult = {
      kind: "unconfirmed",
      code: "post.processing_timeout",
      message: `TikTok was still processing the video ${FlowContext.minutes(ctx.timing.processing.deadlineMs)} after it was sent; it may still be posted. Studio keeps checking; check the TikTok app.`,
    };
    const quotaWait = ctx.takeStatusCall();
    if (quotaWait > 0) {
      // At the deadline with this minute's share used up: the last check (processing) decides.
      if (ctx.pollsAt.length && !ctx.processingWait(ctx.post.finalCallAt)) return processingTimeout;
      return { kind: "wait", delayMs: quotaWait };
    }
    const { status, failReason, postIds } = await ctx.call((c) => tt.publishStatus(c, publishId));
    switch (status) {
      case "PROCESSING_DOWNLOAD":
      case "PROCESSING_UPLOAD":
        return ctx.processingWait(ctx.post.finalCallAt) ?? processingTimeout;
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
  // (Recorded by this attempt's own claim and not sent yet: on to init below.)
  if (ctx.post.finalCallAt && !ctx.finalCallPremarked) {
    // Past the quick look, a media ticket TikTok never fetched settles it (media-pull.ts): closed
    // now, that init can never post anything, so a new init is a plain retry. Asked before the
    // video list, which a failing TikTok may not answer.
    const sinceFinalCall = ctx.now() - Date.parse(ctx.post.finalCallAt);
    if (ctx.post.pullTicket && sinceFinalCall >= ctx.timing.reconcile.deadlineMs) {
      const { outcome, post } = await closeTicket(ctx.post);
      ctx.post = post;
      if (outcome === "closed") {
        await ctx.save({ step: "reconciled_not_live" }, ["finalCallAt"]);
        return { kind: "wait", delayMs: 0 };
      }
    }
    const recent = await ctx.call((c) => tt.recentVideos(c, 100));
    // A video found this way has a video id (platformPostId) but no publish_id: TikTok never gave one.
    return reconcileByRecentPosts(
      ctx,
      recent,
      (match) => ({ platformPostId: match.id }),
      wasPulled(ctx.post)
        ? "TikTok did not answer the publish request but fetched the video, which is not among the account's recent videos yet (it may still be in moderation). Studio keeps checking; check the TikTok app and settle it by hand if needed."
        : "TikTok did not answer the publish request and the video is not among the account's recent videos (it may still be in moderation). Studio keeps checking; check the TikTok app and settle it by hand if needed.",
    );
  }

  // Read when the post was prepared (publish/prepare.ts), for this very attempt; else now.
  const prepared = ctx.post.step === "prepared" || ctx.finalCallPremarked ? ctx.post.privacyLevel : undefined;
  const privacyLevel = prepared ?? privacyLevelFor(await ctx.call((c) => tt.creatorInfo(c)));
  const video = ctx.post.media[0];
  if (!video) return { kind: "failed", code: "post.media_invalid", message: "A TikTok post needs exactly one video." };
  // TikTok fetches the video through a ticket of Studio's own (media-pull.ts) when the API has a
  // public URL: the witness that can later prove a lost init did nothing.
  const base = publicApiUrl();
  const pullTicket = ctx.finalCallPremarked ? ctx.post.pullTicket : base ? newTicket() : undefined;
  const videoUrl = base && pullTicket ? pullUrl(base, ctx.post.id, pullTicket) : video.url;
  // How many of the account's posts share the status quota: read while init is on its way.
  const quota = ctx.timing.statusQuota;
  const share = quota ? readPollShare(ctx.post, ctx.now(), quota) : undefined;
  const { publishId: id } = await ctx.finalCall(
    (c) => tt.initVideo(c, { title: ctx.post.caption, videoUrl, privacyLevel }),
    pullTicket ? { pullTicket } : {},
  );
  if (share) ctx.pollShare = await share;
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
