import { freshCredentials, type VersionedCredentials } from "../../account/tokens";
import { db } from "../../db/service";
import { adapters, isHighUsage } from "../../platform";
import { PlatformError } from "../../platform/errors";
import type { AccountCredentials, Adapters } from "../../platform/types";
import type { PostItem } from "../../post/post";
import { crashPoint, InjectedCrash } from "../crash";
import { type StepPatch, saveStep } from "../transitions";

/** What a platform flow decided for this invocation. */
export type StepResult =
  | { kind: "published"; externalPostId: string }
  | { kind: "failed"; code: string; message: string }
  /** Come back later (poll a container or a publish status, or re-check). */
  | { kind: "wait"; delayMs: number }
  | { kind: "unconfirmed"; code: string; message: string };

/** The attempt was taken over by another worker: stop quietly, it is theirs now. */
export class LostAttemptError extends Error {
  constructor(readonly postId: string) {
    super(`attempt on ${postId} was taken over`);
    this.name = "LostAttemptError";
  }
}

/**
 * One attempt's view of a post: the current item, credentials, and the two things a flow may
 * do — call the platform (with one refresh-and-retry on an auth error) and persist a handle
 * (conditional on still holding the attempt).
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

  constructor(
    public post: PostItem,
    private creds: VersionedCredentials,
    readonly now: () => number,
  ) {
    this.api = adapters({
      onUsage: ({ usage }) => {
        if (isHighUsage(usage)) this.usageBackoffMs = Math.max(this.usageBackoffMs, usage.regainAccessMs || 60_000);
      },
    });
  }

  /** The version of the token the attempt is calling with (account writes from answers are conditional on it). */
  get tokenVersion(): number {
    return this.creds.tokenVersion;
  }

  /**
   * Calls the platform. On an auth error, refreshes the token once (single flight per account)
   * and repeats the same call once: an auth error means the call was refused, so repeating it
   * is safe even for the final call.
   */
  async call<T>(fn: (creds: AccountCredentials) => Promise<T>): Promise<T> {
    try {
      return await fn(this.creds);
    } catch (err) {
      if (!(err instanceof PlatformError) || err.kind !== "auth" || this.refreshed) throw err;
      this.refreshed = true;
      const { creds } = await freshCredentials(this.post.accountId, {
        force: true,
        staleAccessToken: this.creds.accessToken,
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
  async markFinalCall(): Promise<PostItem> {
    // Conditional on no marker: of two copies of one message, only one may send the call.
    const patch = { finalCallAt: new Date(this.now()).toISOString(), step: "final_call" };
    const next = await saveStep(this.post, patch, this.now(), { expectFinalCallAt: null });
    if (!next) throw new LostAttemptError(this.post.id);
    this.post = next;
    return next;
  }

  /**
   * Runs the final call. If it fails in a way that proves nothing happened (refused, rate
   * limited, auth, sent nowhere), `finalCallAt` is cleared so the retry is a plain retry; an
   * `unknown_outcome` keeps it, and the next run reconciles.
   */
  async finalCall<T>(fn: (creds: AccountCredentials) => Promise<T>): Promise<T> {
    await this.markFinalCall();
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
}

/** Clock slack between Studio's `finalCallAt` and the platform's creation time. */
const MATCH_SLACK_MS = 60_000;

/**
 * Finds our post among the platform's recent ones: same caption, created no earlier than our
 * final call (minus clock slack), and not already the remote id of another Studio post of the
 * account (two posts with one caption must not both claim the same live post).
 */
export async function findOurs<T extends { id: string; caption: string; createdAt: string }>(
  candidates: T[],
  post: Pick<PostItem, "id" | "accountId" | "caption" | "finalCallAt" | "scheduledFor" | "createdAt">,
): Promise<T | undefined> {
  const since = Date.parse(post.finalCallAt ?? post.scheduledFor ?? post.createdAt) - MATCH_SLACK_MS;
  const fits = candidates.filter((c) => c.caption === post.caption && Date.parse(c.createdAt) >= since);
  if (!fits.length) return undefined;
  const owned = await remoteIdsOfOtherPosts(post);
  return fits.find((c) => !owned.has(c.id));
}

/** External ids of the account's other posts around this one's time (gsi2: byAccount). */
async function remoteIdsOfOtherPosts(post: Pick<PostItem, "id" | "accountId" | "scheduledFor" | "createdAt">) {
  const at = Date.parse(post.scheduledFor ?? post.createdAt);
  const { data } = await db()
    .entities.post.query.byAccount({ accountId: post.accountId })
    .between(
      { calendarAt: new Date(at - 86_400_000).toISOString() },
      { calendarAt: new Date(at + 86_400_000).toISOString() },
    )
    .go({ pages: "all" });
  return new Set(data.filter((p) => p.id !== post.id && p.externalPostId).map((p) => p.externalPostId as string));
}

/** Quick checks of the platform's recent posts after an unknown outcome, a few seconds apart. */
const ABSENCE_CHECKS = 3;
const recheckMs = () => Number(process.env.STUDIO_RECONCILE_RECHECK_MS ?? 5_000);

/**
 * After an unknown outcome: our post among the platform's recent ones → published; absent →
 * look again a few seconds later, up to ABSENCE_CHECKS times; still absent → `unconfirmed` with
 * `message` (never a second call: a quick absence proves nothing, the slow re-checks decide).
 */
export async function reconcileByRecentPosts(
  ctx: FlowContext,
  recent: Array<{ id: string; caption: string; createdAt: string }>,
  message: string,
): Promise<StepResult> {
  const match = await findOurs(recent, ctx.post);
  if (match) return { kind: "published", externalPostId: match.id };
  const checks = (ctx.post.reconcileAttempts ?? 0) + 1;
  if (checks < ABSENCE_CHECKS) {
    await ctx.save({ step: "reconciling", reconcileAttempts: checks });
    return { kind: "wait", delayMs: recheckMs() };
  }
  return { kind: "unconfirmed", code: "post.outcome_unknown", message };
}
