import type { PublishContent } from "../../platform/types";
import { crashPoint } from "../crash";
import { FlowContext, type StepResult } from "./context";
import { findOurs } from "./evidence";

/**
 * Instagram: container → wait for FINISHED → media_publish. The container id (and when
 * processing started) is persisted before anything else happens; `finalCallAt` before
 * media_publish. A container that reports PUBLISHED is never published again. Polls back off
 * (config/publishing.ts); a container still IN_PROGRESS at the processing deadline fails the
 * post: media_publish was never sent, so it is known not to be live.
 */
export async function instagramStep(ctx: FlowContext): Promise<StepResult> {
  const ig = ctx.api.instagram;
  const content: PublishContent = { caption: ctx.post.caption, media: ctx.post.media };

  if (ctx.post.finalCallAt) {
    const settled = await reconcile(ctx);
    if (settled) return settled;
  }
  if (!ctx.post.containerId) {
    const { containerId } = await ctx.call((c) => ig.createContainer(c, content));
    await ctx.save({ containerId, processingSince: new Date(ctx.now()).toISOString(), step: "container_created" });
    crashPoint("after_container", ctx.post);
  }
  const containerId = ctx.post.containerId as string;
  const { statusCode, status } = await ctx.call((c) => ig.containerStatus(c, containerId));
  switch (statusCode) {
    case "IN_PROGRESS":
      return ctx.processingWait(ctx.post.processingSince) ?? processingTimedOut(ctx);
    case "ERROR":
      return {
        kind: "failed",
        code: "post.media_rejected",
        message: `Instagram could not process the media${status ? ` (${status})` : ""}. Check the file's format, size and aspect ratio, then reschedule.`,
      };
    case "EXPIRED":
      await ctx.save({ step: "container_expired" }, ["containerId"]);
      return { kind: "wait", delayMs: 0 };
    case "PUBLISHED":
      return findPublished(ctx);
    case "FINISHED": {
      const { mediaId } = await ctx.finalCall((c) => ig.publishContainer(c, containerId));
      return { kind: "published", externalPostId: mediaId, platformPostId: mediaId };
    }
  }
}

function processingTimedOut(ctx: FlowContext): StepResult {
  return {
    kind: "failed",
    code: "post.processing_timeout",
    message: `Instagram had not finished processing the media after ${FlowContext.minutes(ctx.timing.processing.deadlineMs)}, so Studio did not publish it: the post is not live. Check the file (format, size, length) and reschedule.`,
  };
}

/**
 * After an unknown outcome of media_publish, the container's status answers it:
 * PUBLISHED → live (find the media id); FINISHED → not live, publishing again is safe;
 * EXPIRED → not live, start over with a new container.
 */
async function reconcile(ctx: FlowContext): Promise<StepResult | undefined> {
  const ig = ctx.api.instagram;
  const containerId = ctx.post.containerId;
  if (!containerId) {
    await ctx.save({ step: "reconciled_not_live" }, ["finalCallAt"]);
    return undefined;
  }
  const { statusCode } = await ctx.call((c) => ig.containerStatus(c, containerId));
  if (statusCode === "PUBLISHED") return findPublished(ctx);
  if (statusCode === "EXPIRED") {
    await ctx.save({ step: "reconciled_not_live" }, ["finalCallAt", "containerId"]);
    return { kind: "wait", delayMs: 0 };
  }
  if (statusCode === "IN_PROGRESS") return ctx.processingWait(ctx.post.processingSince) ?? processingTimedOut(ctx);
  // FINISHED (not live) or ERROR: the final call did not take effect.
  await ctx.save({ step: "reconciled_not_live" }, ["finalCallAt"]);
  return undefined;
}

async function findPublished(ctx: FlowContext): Promise<StepResult> {
  const recent = await ctx.call((c) => ctx.api.instagram.recentMedia(c, 100));
  const match = await findOurs(recent, ctx.post);
  if (match) return { kind: "published", externalPostId: match.id, platformPostId: match.id };
  return {
    kind: "unconfirmed",
    code: "post.outcome_unknown",
    message:
      "Instagram reports the container as published but the post is not in the account's recent media yet. Studio keeps checking; you can also settle it by hand.",
  };
}
