import { setTimeout as sleep } from "node:timers/promises";
import {
  freshCredentials,
  markNeedsReconnect,
  ReconnectRequiredError,
  TokenRefreshPendingError,
} from "../account/tokens";
import { db } from "../db/service";
import { checkMedia } from "../media/check";
import { PlatformError } from "../platform/errors";
import type { PostItem } from "../post/post";
import type { PublishMessage } from "../queue/messages";
import { sendMessage } from "../queue/sqs";
import { logger, redactString } from "../util/logger";
import { backoffMs, RETRY_POLICY } from "./backoff";
import { openBreaker } from "./breaker";
import { crashPoint, InjectedCrash } from "./crash";
import { FlowContext, LostAttemptError, type StepResult } from "./flows/context";
import { facebookStep } from "./flows/facebook";
import { instagramStep } from "./flows/instagram";
import { recheckUnconfirmed } from "./flows/recheck";
import { tiktokStep } from "./flows/tiktok";
import { claim, complete, fail, leaseMs, saveStep, takeover, unconfirm } from "./transitions";

/**
 * What the queue consumer does with the message: acknowledge it, or leave it to come back
 * after `delaySeconds` (the consumer sets the message's visibility and reports it failed).
 */
export type PublishOutcome = { kind: "ack"; note: string } | { kind: "retry"; delaySeconds: number; note: string };

const ack = (note: string): PublishOutcome => ({ kind: "ack", note });

/** An early message within this margin waits in the handler; earlier ones are re-sent with a delay. */
const EARLY_WAIT_MAX_MS = 1_000;
/** First re-check of an unconfirmed post (doubling, capped at 1 h); STUDIO_UNCONFIRMED_RECHECK_MS for tests. */
const recheckBaseMs = () => Number(process.env.STUDIO_UNCONFIRMED_RECHECK_MS ?? 5 * 60_000);
/** Unconfirmed posts are re-checked on a slow schedule for this long after the final call. */
const RECONCILE_FOR_MS = 24 * 3600_000;

/**
 * Handles one publish-queue message. Every message is checked against the post's current state
 * (version for `publish`, attempt and lease for the others), so duplicates, redeliveries, DLQ
 * replays and stale messages are harmless.
 *
 * @example
 * const outcome = await handlePublishMessage({ kind: "publish", postId, version: 3 });
 */
export async function handlePublishMessage(msg: PublishMessage, now: () => number = Date.now): Promise<PublishOutcome> {
  const post = await getPost(msg.postId);
  if (!post) return ack("post not found");
  const log = { postId: post.id, status: post.status, kind: msg.kind };

  if (post.status === "scheduled") {
    if (msg.kind !== "publish" || msg.version !== post.version) return ack("stale message");
    const earlyMs = Date.parse(post.scheduledFor as string) - now();
    if (earlyMs > EARLY_WAIT_MAX_MS) {
      await sendMessage("publish", msg, Math.floor(earlyMs / 1000));
      return ack("early: re-sent with the remaining delay");
    }
    if (earlyMs > 0) await sleep(earlyMs);
    const claimed = await claim(post, now());
    if (!claimed) return ack("lost the claim");
    logger.info("claimed", { ...log, attempt: claimed.attempts, attemptId: claimed.attemptId });
    crashPoint("after_claim", claimed);
    return run(claimed, now);
  }

  if (post.status === "publishing") {
    // The holder's own continuation (a poll it scheduled) proceeds without a takeover write.
    if (msg.kind === "continue" && msg.attemptId === post.attemptId) return run(post, now);
    if (post.leaseUntil && Date.parse(post.leaseUntil) > now()) return ack("held by a live attempt");
    const taken = await takeover(post, now());
    if (!taken) return ack("lost the takeover");
    logger.info("took over expired lease", { ...log, step: post.step, finalCallAt: post.finalCallAt });
    return run(taken, now);
  }

  if (post.status === "unconfirmed" && msg.kind !== "publish") {
    if (!post.leaseUntil || Date.parse(post.leaseUntil) > now()) return ack("not due for a re-check");
    const taken = await takeover(post, now());
    if (!taken) return ack("lost the re-check");
    return run(taken, now);
  }

  return ack(`post is ${post.status}`);
}

async function getPost(id: string): Promise<PostItem | null> {
  const { data } = await db().entities.post.get({ id }).go({ consistent: true });
  return data;
}

/** One attempt's work on a post it holds. */
async function run(post: PostItem, now: () => number): Promise<PublishOutcome> {
  let ctx: FlowContext | undefined;
  let tokenVersion: number | undefined;
  try {
    const { account, creds } = await freshCredentials(post.accountId);
    tokenVersion = creds.tokenVersion;
    if (account.breakerUntil && Date.parse(account.breakerUntil) > now()) {
      return await wait(post, Date.parse(account.breakerUntil) - now(), now, "account breaker open");
    }
    if (post.step === "claimed" && !post.finalCallAt) {
      const media = await checkMedia(post.platform, post.media);
      if (!media.ok) return await settle(post, { kind: "failed", code: media.code, message: media.message }, now);
    }
    if (post.status === "unconfirmed") return await settle(post, await recheckUnconfirmed(post, creds), now);
    ctx = new FlowContext(post, creds, now);
    const result = await step(ctx);
    await backOffIfBusy(ctx, now);
    return await settle(ctx.post, result, now);
  } catch (err) {
    // A rate-limit error opens the breaker itself, for the wait the platform asked for.
    const rateLimited = err instanceof PlatformError && err.kind === "rate_limited";
    if (ctx && !rateLimited && !(err instanceof InjectedCrash)) await backOffIfBusy(ctx, now);
    return handleError(ctx?.post ?? post, err, now, ctx?.tokenVersion ?? tokenVersion);
  }
}

/** Usage at ≥ 90% seen during the attempt: open the account's breaker before anything else moves. */
async function backOffIfBusy(ctx: FlowContext, now: () => number) {
  if (ctx.usageBackoffMs) await openBreaker(ctx.post.accountId, ctx.usageBackoffMs, now());
}

function step(ctx: FlowContext): Promise<StepResult> {
  switch (ctx.post.platform) {
    case "instagram":
      return instagramStep(ctx);
    case "facebook":
      return facebookStep(ctx);
    case "tiktok":
      return tiktokStep(ctx);
  }
}

async function settle(post: PostItem, result: StepResult, now: () => number): Promise<PublishOutcome> {
  switch (result.kind) {
    case "published": {
      crashPoint("before_complete", post);
      const done = await complete(post, result.externalPostId, now());
      if (done) logger.info("published", { postId: post.id, externalPostId: result.externalPostId });
      return ack(done ? "published" : "lost the attempt before completing");
    }
    case "failed": {
      const done = await fail(post, result.code, result.message, now());
      if (done) logger.warn("failed", { postId: post.id, code: result.code });
      return ack(done ? `failed: ${result.code}` : "lost the attempt before failing");
    }
    case "unconfirmed": {
      // Re-checks end RECONCILE_FOR_MS after the post's time (not `updatedAt`, which every write moves).
      const started = Date.parse(post.finalCallAt ?? post.scheduledFor ?? post.createdAt);
      const attempts = post.reconcileAttempts ?? 0;
      const next = Math.min(3600_000, recheckBaseMs() * 2 ** attempts);
      const nextCheck = now() + next - started < RECONCILE_FOR_MS ? now() + next : undefined;
      const done = await unconfirm(post, result.code, result.message, now(), nextCheck);
      if (done) logger.warn("unconfirmed", { postId: post.id, code: result.code, nextCheck });
      return ack(done ? "unconfirmed" : "lost the attempt");
    }
    case "wait":
      return wait(post, result.delayMs, now, "waiting on the platform");
  }
}

/**
 * Comes back later through a new delayed `continue` message (a poll is not a failure and does
 * not use up the message's receives). The lease stays as it is: if this message is lost, the
 * lease expires and the sweep resumes the post.
 */
async function wait(post: PostItem, delayMs: number, now: () => number, note: string): Promise<PublishOutcome> {
  if (post.status === "unconfirmed") {
    // A re-check that cannot tell yet: stays unconfirmed, next check on the slow schedule.
    const { code = "post.outcome_unknown", message = "The outcome is not known yet." } = post.lastError ?? {};
    return settle(post, { kind: "unconfirmed", code, message }, now);
  }
  if (delayMs > leaseMs() / 2) {
    // A long wait (an open breaker): stretch the lease over it so the sweep does not step in.
    const saved = await saveStep(post, {}, now(), { leaseUntilMs: now() + delayMs + leaseMs() });
    if (!saved) return ack("attempt taken over by another worker");
  }
  await sendMessage(
    "publish",
    { kind: "continue", postId: post.id, attemptId: post.attemptId as string },
    Math.ceil(delayMs / 1000),
  );
  return ack(note);
}

/**
 * The one place a failure of an attempt becomes an outcome. Classification of platform errors
 * happened in the adapters (platform/classify.ts); here they map to the post's fate.
 */
async function handleError(
  post: PostItem,
  err: unknown,
  now: () => number,
  tokenVersion: number | undefined,
): Promise<PublishOutcome> {
  if (err instanceof InjectedCrash) throw err; // a dead worker does nothing more
  if (err instanceof LostAttemptError) return ack("attempt taken over by another worker");
  // Once the final call may have happened, no error proves the post is not live: a refusal of a
  // later question (status, recent posts) leaves the outcome unknown, never `failed`.
  const mayBeLive = Boolean(post.finalCallAt || post.publishId || post.status === "unconfirmed");
  const verdict = mayBeLive ? ("unconfirmed" as const) : ("failed" as const);
  if (err instanceof ReconnectRequiredError) {
    return settle(post, { kind: verdict, code: "account.needs_reconnect", message: err.reason }, now);
  }
  if (err instanceof PlatformError) {
    if (err.kind === "reconnect") {
      // Only about the token this attempt called with: if the user reconnected meanwhile, the
      // account stays as it is and the post is tried again with the new token.
      const marked =
        tokenVersion !== undefined &&
        (await markNeedsReconnect({ id: post.accountId, tokenVersion }, userMessage(err)));
      if (!marked) return retry(post, "account.token_changed", userMessage(err), 1_000, now);
      return settle(post, { kind: verdict, code: "account.needs_reconnect", message: userMessage(err) }, now);
    }
    if (err.kind === "permanent")
      return settle(post, { kind: verdict, code: err.code, message: userMessage(err) }, now);
    if (err.kind === "unknown_outcome" && post.finalCallAt) {
      // The final call may have taken effect: never repeat it; ask the platform shortly. It
      // still counts as a retry, so a platform that always fails this way ends, too.
      logger.warn("final call outcome unknown: reconciling", { postId: post.id, code: err.code });
      const retries = (post.retries ?? 0) + 1;
      if (retries > RETRY_POLICY.maxRetries || post.status !== "publishing") {
        return settle(post, { kind: "unconfirmed", code: "post.outcome_unknown", message: userMessage(err) }, now);
      }
      const saved = await saveStep(post, { retries, lastError: { code: err.code, message: userMessage(err) } }, now());
      if (!saved) return ack("attempt taken over by another worker");
      return wait(saved, 2_000, now, "reconcile after unknown outcome");
    }
    if (err.kind === "rate_limited")
      await openBreaker(post.accountId, err.retryAfterMs ?? backoffMs(post.retries ?? 0), now());
    return retry(post, err.code, userMessage(err), err.retryAfterMs, now);
  }
  if (err instanceof TokenRefreshPendingError) return retry(post, err.code, err.message, 3_000, now);
  // A failure of our own (database, queue, a bug): retried with backoff; never a final state.
  const message = redactString(err instanceof Error ? err.message : String(err));
  logger.error("attempt failed unexpectedly", { postId: post.id, error: message });
  return retry(post, "internal.transient", message, undefined, now);
}

/**
 * A retryable failure: record it, release the lease until the backoff is over, and let the
 * message come back then. Out of retries → `failed` (`post.retries_exhausted`), or, if the final
 * call may have happened, `unconfirmed` after one last reconciliation.
 */
async function retry(
  post: PostItem,
  code: string,
  message: string,
  retryAfterMs: number | undefined,
  now: () => number,
): Promise<PublishOutcome> {
  if (post.status === "unconfirmed") {
    // A re-check that failed: back on the slow schedule (it advances and ends), not a fast loop.
    const last = post.lastError ?? { code, message };
    return settle(post, { kind: "unconfirmed", code: last.code ?? code, message: last.message ?? message }, now);
  }
  const retries = (post.retries ?? 0) + 1;
  if (retries > RETRY_POLICY.maxRetries) {
    if (post.finalCallAt) {
      return settle(
        post,
        {
          kind: "unconfirmed",
          code: "post.outcome_unknown",
          message: `Could not confirm the post after ${RETRY_POLICY.maxRetries} tries: ${message}`,
        },
        now,
      );
    }
    return settle(
      post,
      {
        kind: "failed",
        code: "post.retries_exhausted",
        message: `Gave up after ${RETRY_POLICY.maxRetries} retries; the post is not live. Last error: ${message} Reschedule it to try again.`,
      },
      now,
    );
  }
  const delayMs = backoffMs(retries - 1, retryAfterMs);
  logger.info("retrying", { postId: post.id, retries, code, delayMs });
  if (post.status === "publishing") {
    const saved = await saveStep(post, { retries, lastError: { code, message } }, now(), {
      leaseUntilMs: now() + delayMs,
    });
    if (!saved) return ack("attempt taken over by another worker");
  }
  return { kind: "retry", delaySeconds: Math.ceil(delayMs / 1000), note: `retry ${retries}: ${code}` };
}

function userMessage(err: PlatformError): string {
  return redactString(err.message);
}
