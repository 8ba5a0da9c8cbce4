import { type FlowContext, matchRemote, type StepResult } from "./context";

/** Checks of the page's recent posts before concluding a lost final call did not take effect. */
const ABSENCE_CHECKS = 3;
const recheckMs = () => Number(process.env.STUDIO_RECONCILE_RECHECK_MS ?? 5_000);

/**
 * Facebook Pages: one irreversible call (feed, photos or videos). After an unknown outcome,
 * the page's published posts answer it: found → published; absent on ABSENCE_CHECKS checks a
 * few seconds apart → the call did not take effect, and publishing again is safe.
 */
export async function facebookStep(ctx: FlowContext): Promise<StepResult> {
  const fb = ctx.api.facebook;
  if (ctx.post.finalCallAt) {
    const recent = await ctx.call((c) => fb.recentPosts(c, 50));
    const match = matchRemote(recent, ctx.post.caption, ctx.post.finalCallAt);
    if (match) return { kind: "published", externalPostId: match.id };
    const checks = (ctx.post.reconcileAttempts ?? 0) + 1;
    if (checks < ABSENCE_CHECKS) {
      await ctx.save({ step: "reconciling", reconcileAttempts: checks });
      return { kind: "wait", delayMs: recheckMs() };
    }
    await ctx.save({ step: "reconciled_not_live", reconcileAttempts: 0 }, ["finalCallAt"]);
  }
  const { externalPostId } = await ctx.finalCall((c) =>
    fb.createPost(c, { caption: ctx.post.caption, media: ctx.post.media }),
  );
  return { kind: "published", externalPostId };
}
