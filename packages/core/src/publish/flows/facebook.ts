import { type FlowContext, findOurs, type StepResult } from "./context";

/** Checks of the page's recent posts before concluding a lost final call did not take effect. */
const ABSENCE_CHECKS = 3;
const recheckMs = () => Number(process.env.STUDIO_RECONCILE_RECHECK_MS ?? 5_000);

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
    const match = await findOurs(recent, ctx.post);
    if (match) return { kind: "published", externalPostId: match.id };
    const checks = (ctx.post.reconcileAttempts ?? 0) + 1;
    if (checks < ABSENCE_CHECKS) {
      await ctx.save({ step: "reconciling", reconcileAttempts: checks });
      return { kind: "wait", delayMs: recheckMs() };
    }
    return {
      kind: "unconfirmed",
      code: "post.outcome_unknown",
      message:
        "Facebook did not confirm the post and it is not on the page yet. Studio keeps checking; it will be marked published if it appears, or failed if it does not.",
    };
  }
  const { externalPostId } = await ctx.finalCall((c) =>
    fb.createPost(c, { caption: ctx.post.caption, media: ctx.post.media }),
  );
  return { kind: "published", externalPostId };
}
