import { freshCredentials, type VersionedCredentials } from "../../account/tokens";
import {
  mediaKindOf,
  nextPollMs,
  type PlatformTiming,
  platformTiming,
  pollShare,
  publishTiming,
  QUOTA_WINDOW_MS,
  quotaWaitMs,
  sharedNextPollMs,
} from "../../config/publishing";
import { adapters, isHighUsage } from "../../platform";
import { PlatformError } from "../../platform/errors";
import type { AccountCredentials, Adapters } from "../../platform/types";
import type { PostItem } from "../../post/post";
import { type Budget, OutOfTimeError } from "../budget";
import { crashPoint, InjectedCrash } from "../crash";
import { type StepPatch, saveStep } from "../transitions";
import { findOurs } from "./evidence";

/** The ids a platform gave for a live post (at least one of them). */
export interface LiveIds {
  /** api.md's `externalPostId`: IG media id, FB `post_id` ?? `id`, TikTok `publish_id`. */
  externalPostId?: string;
  /** The id the platform shows the post under (metrics read it). */
  platformPostId?: string;
}

/** What a platform flow decided for this invocation. */
export type StepResult =
  | ({ kind: "published" } & LiveIds)
  | { kind: "failed"; code: string; message: string }
  /**
   * Come back later (poll a container or a publish status, or re-check). `inline`: the wait is
   * short and early, so the worker may wait it out in this invocation when its budget allows.
   */
  | { kind: "wait"; delayMs: number; inline?: boolean }
  | { kind: "unconfirmed"; code: string; message: string };

/** The attempt was taken over by another worker: stop quietly, it is theirs now. */
export class LostAttemptError extends Error {
  constructor(readonly postId: string) {
    super(`attempt on ${postId} was taken over`);
    this.name = "LostAttemptError";
  }
}

/** A platform call is not started with less than this left in the invocation. */
const MIN_CALL_MS = 1_000;

/**
 * One attempt's view of a post: the current item, credentials, the invocation's time budget,
 * and the two things a flow may do — call the platform (with one refresh-and-retry on an auth
 * error) and persist a handle (conditional on still holding the attempt).
 */
export class FlowContext {
  private refreshed = false;
  /** The platform, as seen from this attempt (its usage reports feed the account's breaker). */
  readonly api: Adapters;
  /**
   * Set when the platform reported usage at or above 90% (or a lockout): the account's breaker
   * opens for this long after the attempt, so Studio backs off *before* hitting 100%.
   */
  usageBackoffMs = 0;
  /**
   * How many of the account's posts may poll the status endpoint alongside this one (itself
   * included; publish/poll-share.ts): read when the final call is sent, carried by `continue`
   * messages. Undefined until known.
   */
  pollShare?: number;
  /** When this attempt checked the processing status (epoch ms), for the quota's sliding minute. */
  pollsAt: number[] = [];
  /**
   * The final call was recorded by this attempt's claim (with its media ticket) and is not sent
   * yet: the next `finalCall` sends it without recording it again. Anything that ends the
   * attempt before sending it clears the record (worker.ts), since nothing was sent.
   */
  finalCallPremarked = false;

  constructor(
    public post: PostItem,
    private creds: VersionedCredentials,
    readonly now: () => number,
    readonly budget: Budget,
  ) {
    this.api = adapters({
      // Every request's timeout comes from what is left of the invocation.
      timeoutMs: () => budget.timeoutFor(publishTiming().invocation.callTimeoutMs),
      onUsage: ({ usage }) => {
        if (isHighUsage(usage)) this.usageBackoffMs = Math.max(this.usageBackoffMs, usage.regainAccessMs || 60_000);
      },
    });
  }

  /** The version of the token the attempt is calling with (account writes from answers are conditional on it). */
  get tokenVersion(): number {
    return this.creds.tokenVersion;
  }

  /** The account's credentials (for ids derived from the account, e.g. a page's video post id). */
  get credentials(): AccountCredentials {
    return this.creds;
  }

  /** The waits of this post's platform and media type (config/publishing.ts). */
  get timing(): PlatformTiming {
    return platformTiming(this.post.platform, mediaKindOf(this.post.media));
  }

  /**
   * Calls the platform. On an auth error, refreshes the token once (single flight per account)
   * and repeats the same call once: an auth error means the call was refused, so repeating it
   * is safe even for the final call. Not started when the invocation is nearly out of time.
   */
  async call<T>(fn: (creds: AccountCredentials) => Promise<T>): Promise<T> {
    if (!this.budget.fits(MIN_CALL_MS)) throw new OutOfTimeError("a platform call");
    try {
      return await fn(this.creds);
    } catch (err) {
      if (!(err instanceof PlatformError) || err.kind !== "auth" || this.refreshed) throw err;
      this.refreshed = true;
      const { creds } = await freshCredentials(this.post.accountId, {
        force: true,
        staleAccessToken: this.creds.accessToken,
        waitMs: this.budget.timeoutFor(publishTiming().invocation.lockWaitMs),
        timeoutMs: () => this.budget.timeoutFor(publishTiming().invocation.callTimeoutMs),
      });
      this.creds = creds;
      return fn(this.creds);
    }
  }

  /** Persists a handle before the next step; throws LostAttemptError if the attempt was lost. */
  async save(patch: StepPatch, remove?: Array<"containerId" | "publishId" | "finalCallAt">): Promise<PostItem> {
    // Clearing the final-call marker only clears the one this attempt read.
    const expectFinalCallAt = remove?.includes("finalCallAt") ? this.post.finalCallAt : undefined;
    const next = await saveStep(this.post, patch, this.now(), { remove, expectFinalCallAt });
    if (!next) throw new LostAttemptError(this.post.id);
    this.post = next;
    return next;
  }

  /**
   * Records that the irreversible call is about to be sent. From here on the post may be live:
   * a crash, timeout or lost answer is reconciled with the platform, never repeated blindly.
   */
  async markFinalCall(extra: StepPatch = {}): Promise<PostItem> {
    // Conditional on no marker: of two copies of one message, only one may send the call.
    const patch = { ...extra, finalCallAt: new Date(this.now()).toISOString(), step: "final_call" };
    const next = await saveStep(this.post, patch, this.now(), { expectFinalCallAt: null });
    if (!next) throw new LostAttemptError(this.post.id);
    this.post = next;
    return next;
  }

  /**
   * Runs the final call — only with its whole timeout left in the invocation (otherwise
   * OutOfTimeError, before anything is sent: the worker hands the post back to the queue). If
   * it fails in a way that proves nothing happened (refused, rate limited, auth, sent nowhere),
   * `finalCallAt` is cleared so the retry is a plain retry; an `unknown_outcome` keeps it, and
   * the next run reconciles.
   */
  async finalCall<T>(fn: (creds: AccountCredentials) => Promise<T>, extra: StepPatch = {}): Promise<T> {
    if (!this.budget.fitsFinalCall()) throw new OutOfTimeError("the final call");
    if (this.finalCallPremarked) this.finalCallPremarked = false;
    else await this.markFinalCall(extra);
    crashPoint("before_final_call", this.post);
    try {
      const result = await this.call(fn);
      crashPoint("after_final_call", this.post);
      return result;
    } catch (err) {
      if (err instanceof InjectedCrash) throw err;
      if (!(err instanceof PlatformError) || err.kind !== "unknown_outcome") {
        await this.save({ step: "final_call_refused" }, ["finalCallAt"]).catch(() => undefined);
      }
      throw err;
    }
  }

  /**
   * The next poll of the platform's processing that started at `since`, or `undefined` once the
   * processing deadline has passed (the flow then gives its verdict).
   */
  processingWait(since: string | undefined): StepResult | undefined {
    const plan = this.timing.processing;
    const elapsed = this.now() - Date.parse(since ?? this.post.updatedAt);
    if (elapsed >= plan.deadlineMs) return undefined;
    const share = this.statusShare();
    // With a status quota: this post's share of it, never more than `share` checks in any minute.
    // (The last check lands on the deadline; if the share is used up then, the verdict is given
    // there on the last check's answer — still processing, less than a minute before.)
    const delayMs =
      share === undefined
        ? nextPollMs(plan, elapsed)
        : Math.min(
            Math.max(sharedNextPollMs(plan, elapsed, share), quotaWaitMs(this.pollsAt, share, this.now())),
            plan.deadlineMs - elapsed,
          );
    return { kind: "wait", delayMs, inline: elapsed + delayMs <= publishTiming().invocation.inlinePollForMs };
  }

  /**
   * The most status checks this post may make in any 60 s window (its share of the platform's
   * status quota), or undefined when the platform has no such quota or the share is not known.
   */
  statusShare(): number | undefined {
    const quota = this.timing.statusQuota;
    return quota && this.pollShare !== undefined ? pollShare(quota, this.pollShare) : undefined;
  }

  /**
   * Before a status check: 0 when it fits this post's share of the quota (and it is counted),
   * else how long to wait for it.
   */
  takeStatusCall(): number {
    const share = this.statusShare();
    const now = this.now();
    if (share !== undefined) {
      const waitMs = quotaWaitMs(this.pollsAt, share, now);
      if (waitMs > 0) return waitMs;
    }
    this.pollsAt = [...this.pollsAt.filter((t) => t > now - 2 * QUOTA_WINDOW_MS), now];
    return 0;
  }

  /** Minutes, for messages. */
  static minutes(ms: number): string {
    const m = Math.round(ms / 60_000);
    return m >= 1 ? `${m} minute${m === 1 ? "" : "s"}` : `${Math.round(ms / 1000)} seconds`;
  }
}

/**
 * After an unknown outcome, when only the platform's recent posts can tell: ours among them →
 * published; not yet → look again within the quick-reconciliation deadline (from the final
 * call); then `unconfirmed` with `message`, and the slow re-checks (flows/recheck.ts) decide.
 * Never a second call.
 */
export async function reconcileByRecentPosts(
  ctx: FlowContext,
  recent: Array<{ id: string; caption: string; createdAt: string }>,
  ids: (match: { id: string }) => LiveIds,
  message: string,
): Promise<StepResult> {
  const match = await findOurs(recent, ctx.post);
  if (match) return { kind: "published", ...ids(match) };
  return quickRecheck(ctx, message);
}

/** Another quick look while the reconciliation deadline allows, else `unconfirmed`. */
export function quickRecheck(ctx: FlowContext, message: string): StepResult {
  const plan = ctx.timing.reconcile;
  const elapsed = ctx.now() - Date.parse(ctx.post.finalCallAt ?? ctx.post.updatedAt);
  if (elapsed < plan.deadlineMs) return { kind: "wait", delayMs: nextPollMs(plan, elapsed) };
  return { kind: "unconfirmed", code: "post.outcome_unknown", message };
}
