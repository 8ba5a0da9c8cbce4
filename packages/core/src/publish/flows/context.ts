import { freshCredentials } from "../../account/tokens";
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
    private creds: AccountCredentials,
    readonly now: () => number,
  ) {
    this.api = adapters({
      onUsage: ({ usage }) => {
        if (isHighUsage(usage)) this.usageBackoffMs = Math.max(this.usageBackoffMs, usage.regainAccessMs || 60_000);
      },
    });
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
    const next = await saveStep(this.post, patch, this.now(), { remove });
    if (!next) throw new LostAttemptError(this.post.id);
    this.post = next;
    return next;
  }

  /**
   * Records that the irreversible call is about to be sent. From here on the post may be live:
   * a crash, timeout or lost answer is reconciled with the platform, never repeated blindly.
   */
  markFinalCall(): Promise<PostItem> {
    return this.save({ finalCallAt: new Date(this.now()).toISOString(), step: "final_call" });
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

/** Matches a post found on the platform to ours: same caption, created after our final call (with clock slack). */
export function matchRemote<T extends { caption: string; createdAt: string }>(
  candidates: T[],
  caption: string,
  finalCallAt: string | undefined,
): T | undefined {
  const after = finalCallAt ? Date.parse(finalCallAt) - 5 * 60_000 : 0;
  return candidates.find((c) => c.caption === caption && Date.parse(c.createdAt) >= after);
}
