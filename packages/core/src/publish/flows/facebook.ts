import { type FlowContext, reconcileByRecentPosts, type StepResult } from "./context";

/**
 * Facebook Pages: one irreversible call (feed, photos or videos). After an unknown outcome the
 * page's published posts answer it: found → published. Absent on ABSENCE_CHECKS checks a few
 * seconds apart → `unconfirmed`, never an automatic second call: a video is listed only once
 * Facebook has processed it, so a quick absence proves nothing. The slow re-checks (minutes
 * apart, flows/recheck.ts) settle it: found → published, still absent → failed, reschedulable.
 */
export async function facebookStep(ctx: FlowContext): Promise<StepResult> {
  const fb = ctx.api.facebook;
  if (ctx.post.finalCallAt) {
    const recent = await ctx.call((c) => fb.recentPosts(c, 50));
    return reconcileByRecentPosts(
      ctx,
      recent,
      "Facebook did not confirm the post and it is not on the page yet. Studio keeps checking; it will be marked published if it appears, or failed if it does not.",
    );
  }
  const { externalPostId } = await ctx.finalCall((c) =>
    fb.createPost(c, { caption: ctx.post.caption, media: ctx.post.media }),
  );
  return { kind: "published", externalPostId };
}
