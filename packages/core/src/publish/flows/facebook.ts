import { type FlowContext, quickRecheck, type StepResult } from "./context";
import { facebookEvidence } from "./evidence";

/**
 * Facebook Pages: one irreversible call (feed, photos or videos). After an unknown outcome the
 * page answers it (flows/evidence.ts): a text or photo post in `published_posts`, a video in
 * the page's `videos` (listed before Facebook has processed it). Found → published. Not found →
 * quick re-checks until the reconciliation deadline, then `unconfirmed`; the slow re-checks
 * (flows/recheck.ts) fail it only once absence is proven. Never an automatic second call.
 */
export async function facebookStep(ctx: FlowContext): Promise<StepResult> {
  const fb = ctx.api.facebook;
  if (ctx.post.finalCallAt) {
    // Absence is not concluded in the quick phase: a late listing must not make a live post `failed`.
    const found = await facebookEvidence(fb, ctx.credentials, ctx.post, (fn) => ctx.call(fn), 0, ctx.now());
    if (found.kind === "live") return { kind: "published", ...ids(found) };
    return quickRecheck(
      ctx,
      "Facebook did not confirm the post and it is not on the page yet. Studio keeps checking; it will be marked published if it appears, or failed once the page shows it is not there.",
    );
  }
  const { externalPostId, platformPostId } = await ctx.finalCall((c) =>
    fb.createPost(c, { caption: ctx.post.caption, media: ctx.post.media }),
  );
  return { kind: "published", externalPostId, platformPostId };
}

const ids = (e: { externalPostId: string; platformPostId?: string }) => ({
  externalPostId: e.externalPostId,
  platformPostId: e.platformPostId,
});
