import { setTimeout as sleep } from "node:timers/promises";
import {
  freshCredentials,
  markNeedsReconnect,
  ReconnectRequiredError,
  TokenRefreshPendingError,
} from "../account/tokens";
import { mediaKindOf, nextPollMs, platformTiming, publishTiming, QUOTA_WINDOW_MS } from "../config/publishing";
import { db } from "../db/service";
import { checkMedia } from "../media/check";
import { PlatformError } from "../platform/errors";
import type { PostItem } from "../post/post";
import type { PublishMessage } from "../queue/messages";
import { sendMessage } from "../queue/sqs";
import { isAbortError, withAbortSignal } from "../util/abort-scope";
import { logger, redactString } from "../util/logger";
import { backoffMs } from "./backoff";
import { openBreaker } from "./breaker";
import { Budget, OutOfTimeError } from "./budget";
import { crashPoint, InjectedCrash } from "./crash";
import { FlowContext, LostAttemptError, type StepResult } from "./flows/context";
import { facebookStep } from "./flows/facebook";
import { instagramStep } from "./flows/instagram";
import { recheckUnconfirmed } from "./flows/recheck";
import { tiktokStep } from "./flows/tiktok";
import { newTicket, publicApiUrl } from "./media-pull";
import { preparePost } from "./prepare";
import { claim, complete, dueAtMs, fail, hold, leaseMs, saveStep, takeover, unconfirm } from "./transitions";

/**
 * What the queue consumer does with the message: acknowledge it, or leave it to come back
 * after `delaySeconds` (the consumer sets the message's visibility and reports it failed).
 */
export type PublishOutcome = { kind: "ack"; note: string } | { kind: "retry"; delaySeconds: number; note: string };

const ack = (note: string): PublishOutcome => ({ kind: "ack", note });

/** Retries through the message's visibility before they go through new messages (maxReceiveCount is 10). */
const VISIBILITY_RETRIES = 5;

export interface WorkerOptions {
  now?: () => number;
  /** This record's share of the invocation (from the Lambda context); a standard one otherwise. */
  budget?: Budget;
}

interface Run {
  now: () => number;
  budget: Budget;
  /** The status quota's bookkeeping: from the `continue` message that resumed the attempt, then the attempt's own. */
  polls?: { pollShare?: number; polls?: number[] };
  /** The claim recorded the final call (not sent yet): see `claimAndMarkFinalCall`. */
  premarked?: boolean;
}

/**
 * Handles one publish-queue message. Every message is checked against the post's current state
 * (version for `publish`, attempt and lease for the others), so duplicates, redeliveries, DLQ
 * replays and stale messages are harmless. All the work fits in `budget`: what would not is
 * handed back to the queue before any irreversible call.
 *
 * @example
 * const outcome = await handlePublishMessage({ kind: "publish", postId, version: 3 }, { budget });
 */
export async function handlePublishMessage(
  msg: PublishMessage,
  opts: WorkerOptions | (() => number) = {},
): Promise<PublishOutcome> {
  const o = typeof opts === "function" ? { now: opts } : opts;
  const now = o.now ?? Date.now;
  const r: Run = { now, budget: o.budget ?? Budget.standard(now) };
  try {
    // Every DynamoDB and SQS request of this record ends with its budget (aws/clients.ts).
    return await withAbortSignal(r.budget.signal, () => handle(msg, r));
  } catch (err) {
    if (!outOfBudget(err, r)) throw err;
    // The table or the queue did not answer within the budget. Every write is conditional, so
    // whether the aborted one took effect or not, the post is in a stated status: `scheduled`,
    // or `publishing` under this attempt's lease (resumed by its `continue` message, or by the
    // sweep once the lease runs out). Nothing irreversible is started without its full
    // timeout left (budget.fitsFinalCall), so none was cut short. Hand the record back.
    logger.warn("handed back: the table or the queue did not answer within the budget", {
      postId: msg.postId,
      error: redactString(err instanceof Error ? err.message : String(err)),
    });
    return { kind: "retry", delaySeconds: 1, note: "handed back: the table or the queue did not answer in time" };
  }
}

/** An AWS request (not a platform call: those classify their own timeouts) cut by the budget's end. */
const outOfBudget = (err: unknown, r: Run) =>
  !(err instanceof PlatformError) && isAbortError(err) && r.budget.exhausted();

async function handle(msg: PublishMessage, r: Run): Promise<PublishOutcome> {
  const { now } = r;
  const receivedAt = now();
  const post = await getPost(msg.postId);
  if (!post) return ack("post not found");
  const log = { postId: post.id, status: post.status, kind: msg.kind };

  if (msg.kind === "prepare") return ack(await preparePost(post, msg, now, r.budget));
  if (post.status === "scheduled") {
    if (msg.kind !== "publish" || msg.version !== post.version) return ack("stale message");
    const dueAt = dueAtMs(post);
    const earlyMs = dueAt - now();
    const { arriveEarlyMs, waitEarlyMaxMs } = publishTiming().delivery;
    if (earlyMs > waitEarlyMaxMs) {
      await sendMessage("publish", msg, Math.floor(Math.max(0, earlyMs - arriveEarlyMs) / 1000));
      return ack("early: re-sent with the remaining delay");
    }
    // The claim comes at the post's time (a timer may fire a millisecond before the wall clock
    // gets there: never claim before it).
    for (let left = earlyMs; left > 0; left = dueAt - now()) await sleep(left);
    const premark = marksFinalCallAtClaim(post, msg.prepared, r.budget);
    const claimed = await claim(
      post,
      now(),
      receivedAt,
      msg.prepared,
      premark ? { pullTicket: newTicket() } : undefined,
    );
    if (!claimed) return ack("lost the claim");
    logger.info("claimed", { ...log, attempt: claimed.attempts, attemptId: claimed.attemptId });
    crashPoint("after_claim", claimed);
    return run(claimed, { ...r, premarked: premark });
  }

  if (post.status === "publishing") {
    // The holder's own continuation (a poll it scheduled) proceeds without a takeover write.
    if (msg.kind === "continue" && msg.attemptId === post.attemptId)
      return run(post, { ...r, polls: { pollShare: msg.pollShare, polls: msg.polls } });
    if (post.leaseUntil && Date.parse(post.leaseUntil) > now()) return ack("held by a live attempt");
    const taken = await takeover(post, now());
    if (!taken) return ack("lost the takeover");
    logger.info("took over expired lease", { ...log, step: post.step, finalCallAt: post.finalCallAt });
    return run(taken, r);
  }

  if (post.status === "unconfirmed" && msg.kind !== "publish") {
    if (!post.leaseUntil || Date.parse(post.leaseUntil) > now()) return ack("not due for a re-check");
    const taken = await takeover(post, now());
    if (!taken) return ack("lost the re-check");
    return run(taken, r);
  }

  return ack(`post is ${post.status}`);
}

/**
 * Whether the claim records the final call too (one write instead of two): a TikTok post whose
 * preparation came in its publish message (privacy level read, media checked for this version),
 * with a media ticket, and time for the final call. Init is then the attempt's next platform
 * call. Safe because of the ticket: if the worker dies before sending init, TikTok never
 * fetched the video and cannot (the ticket is closed after the quick look), so init is sent
 * again as a plain retry (media-pull.ts) — as after a death between recording and sending
 * today. Anything else that ends the attempt before init clears the record (`run`).
 */
function marksFinalCallAtClaim(post: PostItem, prepared: { privacyLevel?: string } | undefined, budget: Budget) {
  return Boolean(
    post.platform === "tiktok" &&
      prepared?.privacyLevel &&
      publicApiUrl() &&
      post.media.length === 1 &&
      budget.fitsFinalCall(),
  );
}

async function getPost(id: string): Promise<PostItem | null> {
  const { data } = await db().entities.post.get({ id }).go({ consistent: true });
  return data;
}

/** One attempt's work on a post it holds. */
async function run(post: PostItem, r: Run): Promise<PublishOutcome> {
  const { now, budget } = r;
  const inv = publishTiming().invocation;
  let ctx: FlowContext | undefined;
  let tokenVersion: number | undefined;
  // The claim recorded the final call and it is not sent yet: whatever ends or pauses the attempt
  // before sending it clears the record (nothing was sent). If that write fails, the record
  // stays with an unfetched ticket, which the next attempt proves unsent (media-pull.ts).
  let premarked = r.premarked === true;
  const unmark = async (p: PostItem): Promise<PostItem> => {
    const pending = premarked && (!ctx || ctx.finalCallPremarked);
    premarked = false;
    if (!pending || !p.finalCallAt) return p;
    if (ctx) ctx.finalCallPremarked = false;
    const saved = await saveStep(p, { step: "prepared" }, now(), {
      remove: ["finalCallAt"],
      expectFinalCallAt: p.finalCallAt,
    }).catch(() => undefined);
    if (saved && ctx) ctx.post = saved;
    return saved ?? p;
  };
  try {
    const { account, creds } = await freshCredentials(post.accountId, {
      waitMs: budget.timeoutFor(inv.lockWaitMs),
      timeoutMs: () => budget.timeoutFor(inv.callTimeoutMs),
    });
    tokenVersion = creds.tokenVersion;
    if (account.breakerUntil && Date.parse(account.breakerUntil) > now()) {
      const untilMs = Date.parse(account.breakerUntil);
      return await waitOrHold(
        await unmark(post),
        untilMs,
        breakerReason(account.platform, untilMs),
        r,
        "account breaker open",
      );
    }
    // A prepared attempt (step `prepared`) had its media checked when it was prepared, for this version.
    if (post.step === "claimed" && !post.finalCallAt) {
      const media = await checkMedia(post.platform, post.media, {
        timeoutMs: budget.timeoutFor(inv.mediaProbeMs),
        deadlineAt: budget.deadline,
      });
      if (!media.ok) return await settle(post, { kind: "failed", code: media.code, message: media.message }, r);
    }
    if (post.status === "unconfirmed")
      return await settle(post, await recheckUnconfirmed(post, creds, budget, now()), r);
    ctx = new FlowContext(post, creds, now, budget);
    ctx.finalCallPremarked = premarked;
    ctx.pollShare = r.polls?.pollShare;
    ctx.pollsAt = [...(r.polls?.polls ?? [])];
    const attempt = ctx;
    // Whatever comes next (a poll, a retry), the quota's bookkeeping goes with the next message.
    const carry = () => {
      r.polls = { pollShare: attempt.pollShare, polls: attempt.pollsAt };
    };
    let result = await step(ctx).finally(carry);
    // Early processing polls (a container, a TikTok upload) are waited out here, finely, while the
    // invocation has time: most media are ready within seconds, sooner than a queue round trip.
    while (result.kind === "wait" && result.inline && budget.fits(result.delayMs + inv.callTimeoutMs)) {
      // The lease must outlast the wait and the next poll, or the sweep would take the post over.
      const leaseEnds = Date.parse(ctx.post.leaseUntil ?? "") || 0;
      if (leaseEnds < now() + result.delayMs + inv.callTimeoutMs) await ctx.save({});
      await sleep(result.delayMs);
      result = await step(ctx).finally(carry);
    }
    await backOffIfBusy(ctx, now);
    return await settle(await unmark(ctx.post), result, r);
  } catch (err) {
    // A rate-limit error opens the breaker itself, for the wait the platform asked for.
    const rateLimited = err instanceof PlatformError && err.kind === "rate_limited";
    if (ctx && !rateLimited && !(err instanceof InjectedCrash)) await backOffIfBusy(ctx, now);
    // (A dead worker writes nothing more; a table that stopped answering is not asked again.)
    const current =
      err instanceof InjectedCrash || outOfBudget(err, r) ? (ctx?.post ?? post) : await unmark(ctx?.post ?? post);
    return handleError(current, err, r, ctx?.tokenVersion ?? tokenVersion);
  }
}

/** Usage at ≥ 90% seen during the attempt: open the account's breaker before anything else moves. */
async function backOffIfBusy(ctx: FlowContext, now: () => number) {
  // About the token the usage was reported for: a reconnect since then leaves the account open.
  if (ctx.usageBackoffMs)
    await openBreaker({ id: ctx.post.accountId, tokenVersion: ctx.tokenVersion }, ctx.usageBackoffMs, now());
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

async function settle(post: PostItem, result: StepResult, r: Run): Promise<PublishOutcome> {
  const { now } = r;
  switch (result.kind) {
    case "published": {
      crashPoint("before_complete", post);
      const ids = { externalPostId: result.externalPostId, platformPostId: result.platformPostId };
      const done = await complete(post, ids, now());
      if (done) logger.info("published", { postId: post.id, ...ids });
      return ack(done ? "published" : "lost the attempt before completing");
    }
    case "failed": {
      const done = await fail(post, result.code, result.message, now());
      if (done) logger.warn("failed", { postId: post.id, code: result.code });
      return ack(done ? `failed: ${result.code}` : "lost the attempt before failing");
    }
    case "unconfirmed": {
      // Slow re-checks from the final call (not `updatedAt`, which every write moves), growing
      // apart, until the platform's re-check deadline; then only operators settle it.
      const plan = platformTiming(post.platform, mediaKindOf(post.media)).recheck;
      const started = Date.parse(post.finalCallAt ?? post.scheduledFor ?? post.createdAt);
      const elapsed = now() - started;
      const next = nextPollMs(plan, elapsed);
      const nextCheck = elapsed + next < plan.deadlineMs ? now() + next : undefined;
      const done = await unconfirm(post, result.code, result.message, now(), nextCheck);
      if (done) logger.warn("unconfirmed", { postId: post.id, code: result.code, nextCheck });
      return ack(done ? "unconfirmed" : "lost the attempt");
    }
    case "wait":
      return wait(post, result.delayMs, r, "waiting on the platform");
  }
}

/**
 * Comes back later through a new delayed `continue` message (a poll is not a failure and does
 * not use up the message's receives). The lease is stretched over the wait when it would run
 * out before the next poll (one write every few polls, not one per poll): if this message is
 * lost, the lease expires and the sweep resumes the post.
 */
async function wait(post: PostItem, delayMs: number, r: Run, note: string): Promise<PublishOutcome> {
  const { now } = r;
  if (post.status === "unconfirmed") {
    // A re-check that cannot tell yet: stays unconfirmed, next check on the slow schedule.
    const { code = "post.outcome_unknown", message = "The outcome is not known yet." } = post.lastError ?? {};
    return settle(post, { kind: "unconfirmed", code, message }, r);
  }
  let held = post;
  const leaseEnds = post.leaseUntil ? Date.parse(post.leaseUntil) : 0;
  if (leaseEnds < now() + delayMs + leaseMs() / 2) {
    const saved = await saveStep(post, {}, now(), { leaseUntilMs: now() + delayMs + leaseMs() });
    if (!saved) return ack("attempt taken over by another worker");
    held = saved;
  }
  await sendMessage(
    "publish",
    { kind: "continue", postId: held.id, attemptId: held.attemptId as string, ...carried(r, now()) },
    Math.ceil(delayMs / 1000),
  );
  return ack(note);
}

/** The status quota's bookkeeping for a `continue` message: the share, and the checks of the last minute. */
function carried(r: Run, now: number): { pollShare?: number; polls?: number[] } {
  const share = r.polls?.pollShare;
  // The last 100 at most (the schema's bound is 200): a share above 100 a minute never waits on them.
  const polls = (r.polls?.polls ?? []).filter((t) => t > now - 2 * QUOTA_WINDOW_MS).slice(-100);
  return { ...(share !== undefined ? { pollShare: share } : {}), ...(polls.length ? { polls } : {}) };
}

/**
 * The account's breaker is open (a rate limit, high usage, a daily cap) until `untilMs`. A short
 * wait holds the post where it is; a longer one sends it back to `scheduled`, due when the
 * breaker closes, so the user can cancel or move it and sees when it will go out — unless the
 * final call may have happened or TikTok has the video (then it must stay with its attempt).
 */
async function waitOrHold(
  post: PostItem,
  untilMs: number,
  reason: { code: string; message: string },
  r: Run,
  note: string,
): Promise<PublishOutcome> {
  const forMs = untilMs - r.now();
  const holdable = post.status === "publishing" && !post.finalCallAt && !post.publishId;
  if (holdable && forMs > publishTiming().breaker.holdInPlaceMaxMs) {
    const held = await hold(post, untilMs, reason, r.now());
    if (held) logger.warn("held back", { postId: post.id, code: reason.code, heldUntil: held.heldUntil });
    return ack(held ? `held until ${held.heldUntil}` : "lost the attempt before holding");
  }
  return wait(post, forMs, r, note);
}

function breakerReason(platform: string, untilMs: number) {
  const name = { instagram: "Instagram", facebook: "Facebook", tiktok: "TikTok" }[platform] ?? platform;
  return {
    code: "account.rate_limited",
    message: `${name} asked Studio to slow down for this account. The post will go out at ${new Date(untilMs).toISOString()}; you can move or cancel it until then.`,
  };
}

/** When retries of this post stop: its due time plus the workspace's retry window. */
async function retryDeadline(post: PostItem): Promise<{ at: number; windowMs: number }> {
  const { data } = await db().entities.workspace.get({ id: post.workspaceId }).go();
  const minutes = data?.publishRetryWindowMinutes;
  const windowMs = minutes ? minutes * 60_000 : publishTiming().retry.windowMs;
  return { at: dueAtMs(post) + windowMs, windowMs };
}

/**
 * The one place a failure of an attempt becomes an outcome. Classification of platform errors
 * happened in the adapters (platform/classify.ts); here they map to the post's fate.
 */
async function handleError(
  post: PostItem,
  err: unknown,
  r: Run,
  tokenVersion: number | undefined,
): Promise<PublishOutcome> {
  const { now } = r;
  if (err instanceof InjectedCrash) throw err; // a dead worker does nothing more
  if (outOfBudget(err, r)) throw err; // nothing more can be written in this invocation: handed back
  if (err instanceof LostAttemptError) return ack("attempt taken over by another worker");
  if (err instanceof OutOfTimeError) {
    // Nothing irreversible was started: hand the post back to the queue at once.
    logger.info("handed back: out of time", { postId: post.id, before: err.what });
    return wait(post, 0, r, "handed back: out of time in this invocation");
  }
  // Once the final call may have happened, no error proves the post is not live: a refusal of a
  // later question (status, recent posts) leaves the outcome unknown, never `failed`.
  const mayBeLive = Boolean(post.finalCallAt || post.publishId || post.status === "unconfirmed");
  const verdict = mayBeLive ? ("unconfirmed" as const) : ("failed" as const);
  if (err instanceof ReconnectRequiredError) {
    return settle(post, { kind: verdict, code: "account.needs_reconnect", message: err.reason }, r);
  }
  if (err instanceof PlatformError) {
    if (err.kind === "reconnect") {
      // Only about the token this attempt called with: if the user reconnected meanwhile, the
      // account stays as it is and the post is tried again with the new token.
      const marked =
        tokenVersion !== undefined &&
        (await markNeedsReconnect({ id: post.accountId, tokenVersion }, userMessage(err)));
      if (!marked) return retry(post, "account.token_changed", userMessage(err), 1_000, r);
      return settle(post, { kind: verdict, code: "account.needs_reconnect", message: userMessage(err) }, r);
    }
    if (err.kind === "permanent") return settle(post, { kind: verdict, code: err.code, message: userMessage(err) }, r);
    if (err.kind === "unknown_outcome" && post.finalCallAt) {
      // The final call may have taken effect: never repeat it; ask the platform shortly.
      logger.warn("final call outcome unknown: reconciling", { postId: post.id, code: err.code });
      if (post.status !== "publishing" || now() > (await retryDeadline(post)).at) {
        return settle(post, { kind: "unconfirmed", code: "post.outcome_unknown", message: userMessage(err) }, r);
      }
      const retries = (post.retries ?? 0) + 1;
      const saved = await saveStep(post, { retries, lastError: { code: err.code, message: userMessage(err) } }, now());
      if (!saved) return ack("attempt taken over by another worker");
      const firstCheck = platformTiming(post.platform, mediaKindOf(post.media)).reconcile.firstMs;
      return wait(saved, firstCheck, r, "reconcile after unknown outcome");
    }
    if (err.kind === "rate_limited") {
      const forMs = err.retryAfterMs ?? backoffMs(post.retries ?? 0);
      // Only for the token that was throttled. A throttle answer to a token the user has replaced
      // since (reconnect) or Studio refreshed says nothing about the new one: try it shortly,
      // neither closing the account nor holding the post for the old token's wait.
      const breaker =
        tokenVersion === undefined
          ? "not_written"
          : await openBreaker({ id: post.accountId, tokenVersion }, forMs, now());
      if (breaker === "token_changed") return retry(post, "account.token_changed", userMessage(err), 1_000, r);
      if (forMs > publishTiming().breaker.holdInPlaceMaxMs && post.status === "publishing") {
        const daily = err.code === "platform.daily_limit";
        const untilMs = now() + forMs;
        const reason = daily
          ? {
              code: "account.daily_limit",
              message: `The account reached ${post.platform === "tiktok" ? "TikTok" : "Instagram"}'s daily publishing limit. The post will go out at ${new Date(untilMs).toISOString()}; you can move or cancel it until then.`,
            }
          : breakerReason(post.platform, untilMs);
        return waitOrHold(post, untilMs, reason, r, "rate limited");
      }
    }
    return retry(post, err.code, userMessage(err), err.retryAfterMs, r);
  }
  if (err instanceof TokenRefreshPendingError) return retry(post, err.code, err.message, 3_000, r);
  // A failure of our own (database, queue, a bug): retried with backoff; never a final state.
  const message = redactString(err instanceof Error ? err.message : String(err));
  logger.error("attempt failed unexpectedly", { postId: post.id, error: message });
  return retry(post, "internal.transient", message, undefined, r);
}

/**
 * A retryable failure: record it, release the lease until the backoff is over, and let the
 * message come back then. Past the retry window (a time, not a count) → `failed`
 * (`post.retries_exhausted`), or, if the final call may have happened, `unconfirmed`.
 */
async function retry(
  post: PostItem,
  code: string,
  message: string,
  retryAfterMs: number | undefined,
  r: Run,
): Promise<PublishOutcome> {
  const { now } = r;
  if (post.status === "unconfirmed") {
    // A re-check that failed: back on the slow schedule (it advances and ends), not a fast loop.
    const last = post.lastError ?? { code, message };
    return settle(post, { kind: "unconfirmed", code: last.code ?? code, message: last.message ?? message }, r);
  }
  const retries = (post.retries ?? 0) + 1;
  const delayMs = backoffMs(retries - 1, retryAfterMs);
  const deadline = await retryDeadline(post);
  if (now() + delayMs > deadline.at) {
    const window = FlowContext.minutes(deadline.windowMs);
    if (post.finalCallAt) {
      return settle(
        post,
        {
          kind: "unconfirmed",
          code: "post.outcome_unknown",
          message: `Could not confirm the post within ${window} of its time: ${message}`,
        },
        r,
      );
    }
    return settle(
      post,
      {
        kind: "failed",
        code: "post.retries_exhausted",
        message: `Gave up after retrying for ${window} past the post's time; the post is not live. Last error: ${message} Reschedule it to try again.`,
      },
      r,
    );
  }
  logger.info("retrying", { postId: post.id, retries, code, delayMs });
  // The first retries use the message's visibility (they count toward the DLQ's receive limit);
  // later ones, in a retry window of an hour, come back as new messages so a long outage never
  // dead-letters a post that is still within its window.
  const viaNewMessage = retries > VISIBILITY_RETRIES;
  if (post.status === "publishing") {
    const saved = await saveStep(post, { retries, lastError: { code, message } }, now(), {
      leaseUntilMs: now() + delayMs + (viaNewMessage ? leaseMs() : 0),
    });
    if (!saved) return ack("attempt taken over by another worker");
    if (viaNewMessage) {
      await sendMessage(
        "publish",
        { kind: "continue", postId: saved.id, attemptId: saved.attemptId as string, ...carried(r, now()) },
        Math.ceil(delayMs / 1000),
      );
      return ack(`retry ${retries}: ${code}`);
    }
  }
  return { kind: "retry", delaySeconds: Math.ceil(delayMs / 1000), note: `retry ${retries}: ${code}` };
}

function userMessage(err: PlatformError): string {
  return redactString(err.message);
}
