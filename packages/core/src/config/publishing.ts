/**
 * Every timing of the publish pipeline, in one place: how often and how long Studio waits on a
 * platform (per platform and media type), how long it retries, how long it holds a post behind
 * an open breaker, and how an invocation spends its time. docs/publishing.md says what happens
 * at each deadline.
 *
 * Production uses the defaults below. Tests, the demo, the chaos run and the benchmark shorten
 * them with environment variables, read on each call:
 * - `STUDIO_PUBLISH_TIMING`: a JSON object deep-merged over the defaults, e.g.
 *   `{"platforms":{"tiktok":{"video":{"processing":{"deadlineMs":5000}}}}}`;
 * - `STUDIO_DEADLINE_SCALE`: multiplies every deadline (processing, reconciliation, re-checks,
 *   retry window, breaker hold) — how the chaos run shortens them "as its other timings are";
 * - older single knobs, kept for the tools that set them: `STUDIO_RETRY_BASE_MS`,
 *   `STUDIO_LEASE_MS`, `STUDIO_RESEND_AFTER_MS` (the dispatcher's re-send of a lost message), `STUDIO_CONTAINER_POLL_MS`, `STUDIO_PUBLISH_POLL_MS` (the slowest poll
 *   interval), `STUDIO_RECONCILE_RECHECK_MS`, `STUDIO_UNCONFIRMED_RECHECK_MS` (first interval).
 */

import type { Platform } from "../platforms";

/**
 * A wait with a deadline: the first check after `firstMs`, each next one `factor` times later
 * (the interval grows with the time already waited), never more than `maxMs` apart; at
 * `deadlineMs` (from the start of the wait) the post gets a verdict.
 */
export interface WaitPlan {
  firstMs: number;
  factor: number;
  maxMs: number;
  deadlineMs: number;
  /**
   * Around the usual completion, a check every `everyMs` from `fromMs` until `untilMs` (the
   * first of them exactly at `fromMs`); before and after it, the plan above.
   */
  fine?: { fromMs: number; untilMs: number; everyMs: number };
}

/** The waits of one platform and media type. */
export interface PlatformTiming {
  /**
   * Processing after the media was handed over (Instagram container, TikTok publish status).
   * Instagram past the deadline: `failed` (media_publish was never sent: not live). TikTok past
   * it: `unconfirmed` (init was sent: it may still go live), then the slow re-checks.
   */
  processing: WaitPlan;
  /** Quick checks right after an unknown outcome of the final call, before `unconfirmed`. */
  reconcile: WaitPlan;
  /**
   * Slow re-checks of an `unconfirmed` post, from its final call. Past the deadline Studio
   * stops asking; the post stays `unconfirmed` in the operators' list.
   */
  recheck: WaitPlan;
  /**
   * How long after the final call a listing must still not show the post before its absence
   * counts as proof (Facebook only: the page's listings; 0 = absence never proves anything).
   */
  absenceProofAfterMs: number;
  /**
   * The platform's quota on the processing-status endpoint, per access token (TikTok: 30 calls
   * a minute). A post's polls take a share of it: `perMinute − reserve` divided among the
   * account's posts that may be polling at the same time (publish/poll-share.ts), so any number
   * of them stays inside it. `reserve` is kept for calls outside the plans (a retried status
   * call, a slow re-check of an unconfirmed post, the last check at the deadline).
   */
  statusQuota?: StatusQuota;
}

export interface StatusQuota {
  /** Calls allowed per token in any 60 s window. */
  perMinute: number;
  /** Kept out of the posts' shares. */
  reserve: number;
  /**
   * Posts whose polls may overlap this one's: the account's posts due, or whose final call was
   * made, within this much of this post's final call (and every post still `publishing`).
   */
  shareWindowMs: number;
  /** The share assumed when the account's posts cannot be read (the table did not answer). */
  fallbackPosts: number;
}

export type MediaKind = "text" | "image" | "video";

export interface PublishTiming {
  platforms: {
    instagram: Record<"image" | "video", PlatformTiming>;
    facebook: Record<MediaKind, PlatformTiming>;
    tiktok: Record<"video", PlatformTiming>;
  };
  retry: {
    /** Backoff: exponential from `baseMs`, equal jitter, capped at `capMs`; Retry-After wins. */
    baseMs: number;
    capMs: number;
    /**
     * Default retry window: retryable failures keep backing off until this long after the post's
     * due time, then `failed` (`post.retries_exhausted`). A workspace may set its own
     * (`publishRetryWindowMinutes`).
     */
    windowMs: number;
  };
  /**
   * Preparing ahead: work that publishes nothing, done before the post's time so that at its time
   * only the irreversible steps are left (publish/prepare.ts). Instagram creates the container
   * (nothing is live until media_publish; a container lives 24 h). A failed preparation never
   * fails the post: the attempt at its time does the work as if nothing had been prepared.
   */
  prepare: {
    /** How long before the post's time its prepare message arrives, per platform (0 = none). */
    leadMs: Record<"instagram" | "facebook" | "tiktok", number>;
    /** No prepare message for a post due sooner than this (the publish message would overtake it). */
    minLeadMs: number;
    /**
     * Platforms whose preparation travels in the publish message instead of the table: only the
     * prepare message is sent ahead, and it sends the publish message itself — with what it read
     * (TikTok's privacy level; the media checked for that version) when it could, plain when it
     * could not. Saves the preparation's write (writes per post are budgeted). A prepare message
     * lost or failing is retried by the queue; the dispatcher re-sends a post still `scheduled`
     * 2 minutes past its time.
     */
    inMessage: Record<"instagram" | "facebook" | "tiktok", boolean>;
  };
  /** When a publish message arrives, against its post's time. */
  delivery: {
    /**
     * Publish messages are sent to arrive this much (up to a second more: delays are whole
     * seconds) before the post's time; the worker waits and claims the post at its time to the
     * millisecond, so a message picked up a little late (a busy poller) does not delay the post.
     */
    arriveEarlyMs: number;
    /** A message arriving earlier than this is sent back with the rest of its delay instead of waiting. */
    waitEarlyMaxMs: number;
  };
  breaker: {
    /**
     * An open breaker (rate limit, usage, daily cap) that ends within this wait holds the post in
     * `publishing`; a longer one sends the post back to `scheduled`, due when the breaker closes,
     * where the user can cancel or move it.
     */
    holdInPlaceMaxMs: number;
  };
  /** How long a worker may hold a post without writing (well over the consumer's timeout). */
  leaseMs: number;
  dispatch: {
    /**
     * A scheduled post still unclaimed this long after its time, whose message was sent at least
     * this long ago, is sent again by the dispatcher (publish/dispatcher.ts): its message was lost
     * (a queue that dropped it, an emulator killed before its snapshot). A message that is only
     * slow is harmless to duplicate — the worker claims on status and version, so the second
     * message finds the post claimed or published and changes nothing — so this value trades
     * redundant messages against how late a lost one is noticed, never correctness. Production:
     * 2 min (two dispatcher periods; the same as the lease: the longest the pipeline leaves a
     * due post untouched without anything being wrong). The chaos run sets the value it uses for
     * its lease (`STUDIO_RESEND_AFTER_MS`), as it shortens its other timings.
     */
    resendAfterMs: number;
  };
  invocation: {
    /** Kept free at the end of an invocation: nothing is started inside it. */
    marginMs: number;
    /** A platform call's timeout when the invocation has time for it. */
    callTimeoutMs: number;
    /** A media probe's timeout (per request). */
    mediaProbeMs: number;
    /** Waiting for another worker's token refresh. */
    lockWaitMs: number;
    /** The final call starts only with this much time left; otherwise the work is handed back. */
    finalCallReserveMs: number;
    /** Processing polls made inside the invocation (fine and early) before handing back to the queue. */
    inlinePollForMs: number;
    /** The invocation's budget when the caller gives none (tests and tools calling the worker directly). */
    defaultBudgetMs: number;
  };
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const recheck: WaitPlan = { firstMs: 5 * MINUTE, factor: 2, maxMs: HOUR, deadlineMs: 24 * HOUR };
const reconcile: WaitPlan = { firstMs: 5 * SECOND, factor: 1, maxMs: 5 * SECOND, deadlineMs: 15 * SECOND };

/** The production defaults (platform documentation, platforms.md, and the simulators' defaults). */
export const DEFAULT_PUBLISH_TIMING: PublishTiming = {
  platforms: {
    instagram: {
      // Images are usually FINISHED in about a second; reels take minutes. Meta allows 200 calls
      // per hour per account: the polls spread out to one a minute.
      image: {
        processing: { firstMs: 250, factor: 1.5, maxMs: MINUTE, deadlineMs: 15 * MINUTE },
        reconcile,
        recheck,
        absenceProofAfterMs: 0,
      },
      video: {
        processing: { firstMs: 500, factor: 1.5, maxMs: MINUTE, deadlineMs: HOUR },
        reconcile,
        recheck,
        absenceProofAfterMs: 0,
      },
    },
    facebook: {
      // No processing wait; a text or photo post is listed within seconds, a video only once
      // Facebook has processed it (the page's `videos` edge shows it at once).
      text: {
        processing: { firstMs: 0, factor: 1, maxMs: 0, deadlineMs: 0 },
        reconcile,
        recheck,
        absenceProofAfterMs: 2 * MINUTE,
      },
      image: {
        processing: { firstMs: 0, factor: 1, maxMs: 0, deadlineMs: 0 },
        reconcile,
        recheck,
        absenceProofAfterMs: 2 * MINUTE,
      },
      video: {
        processing: { firstMs: 0, factor: 1, maxMs: 0, deadlineMs: 0 },
        reconcile,
        recheck,
        absenceProofAfterMs: 10 * MINUTE,
      },
    },
    tiktok: {
      // The status endpoint allows 30 calls per minute per token. A short clip is complete about
      // a second and a half after init: one check right after init, one at 0.6 s, then one
      // every 100 ms from 1.4 s to 2.3 s, then spreading out (×1.3) to one every 30 s — at most 26 calls
      // in the first minute. A video TikTok has not finished within an hour is handed to the
      // slow re-checks (it may still go live: init was sent).
      video: {
        processing: {
          firstMs: 600,
          factor: 1.3,
          maxMs: 30 * SECOND,
          deadlineMs: HOUR,
          fine: { fromMs: 1_400, untilMs: 2_300, everyMs: 100 },
        },
        reconcile,
        recheck,
        absenceProofAfterMs: 0,
        // One post alone keeps the whole plan (26 calls in its first minute); n posts of one
        // account polling at once get ⌊28 / n⌋ each (publish/poll-share.ts).
        statusQuota: { perMinute: 30, reserve: 2, shareWindowMs: 2 * MINUTE, fallbackPosts: 6 },
      },
    },
  },
  retry: { baseMs: 2 * SECOND, capMs: 15 * MINUTE, windowMs: HOUR },
  // 15 s = the dispatcher's lookahead beyond its periods: every post it sends is due at least
  // 15 s later, so each prepare message arrives 15 s before its post, spread over the minute
  // like the posts (a longer lead would bunch the prepares of a minute's first posts at the
  // dispatcher's run). An image container is FINISHED within seconds; a reel still processing
  // at the post's time is polled from when it was created.
  // TikTok: creator_info and the media check are reads, done ahead too (measured: they were
  // most of the p99 between the post's time and init).
  // TikTok's reads (creator_info, the media) travel in the publish message (`inMessage`): no write.
  prepare: {
    leadMs: { instagram: 15 * SECOND, facebook: 0, tiktok: 15 * SECOND },
    minLeadMs: 5 * SECOND,
    inMessage: { instagram: false, facebook: false, tiktok: true },
  },
  delivery: { arriveEarlyMs: SECOND, waitEarlyMaxMs: 2_500 },
  breaker: { holdInPlaceMaxMs: MINUTE },
  leaseMs: 2 * MINUTE,
  dispatch: { resendAfterMs: 2 * MINUTE },
  invocation: {
    marginMs: 2 * SECOND,
    callTimeoutMs: 10 * SECOND,
    mediaProbeMs: 8 * SECOND,
    lockWaitMs: 5 * SECOND,
    finalCallReserveMs: 12 * SECOND,
    inlinePollForMs: 3 * SECOND,
    defaultBudgetMs: 28 * SECOND,
  },
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

function merge<T>(base: T, over: DeepPartial<T> | undefined): T {
  if (!over || typeof over !== "object") return base;
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(over)) {
    const b = (base as Record<string, unknown>)[k];
    out[k] = b && typeof b === "object" && v && typeof v === "object" ? merge(b, v as never) : v;
  }
  return out as T;
}

const num = (name: string) => {
  const v = process.env[name];
  return v !== undefined && v !== "" && Number.isFinite(Number(v)) ? Number(v) : undefined;
};

let cache: { key: string; value: PublishTiming } | undefined;

/**
 * The timings in force (defaults + environment overrides), cached until the environment changes.
 *
 * @example
 * const { processing } = platformTiming("instagram", "image");
 */
export function publishTiming(): PublishTiming {
  const e = process.env;
  const key = [
    e.STUDIO_PUBLISH_TIMING,
    e.STUDIO_DEADLINE_SCALE,
    e.STUDIO_RETRY_BASE_MS,
    e.STUDIO_LEASE_MS,
    e.STUDIO_RESEND_AFTER_MS,
    e.STUDIO_CONTAINER_POLL_MS,
    e.STUDIO_PUBLISH_POLL_MS,
    e.STUDIO_RECONCILE_RECHECK_MS,
    e.STUDIO_UNCONFIRMED_RECHECK_MS,
  ].join("|");
  if (cache?.key === key) return cache.value;
  let t: PublishTiming = structuredClone(DEFAULT_PUBLISH_TIMING);
  const scale = num("STUDIO_DEADLINE_SCALE");
  const each = (f: (p: PlatformTiming) => void) => {
    for (const byMedia of Object.values(t.platforms)) for (const p of Object.values(byMedia)) f(p as PlatformTiming);
  };
  if (scale !== undefined) {
    // New objects for each platform and media type: the defaults share one `reconcile` and one
    // `recheck` plan (and structuredClone keeps that sharing), so scaling them in place would
    // scale the shared plan once per entry (0.02⁷: no re-check would ever run).
    each((p) => {
      p.processing = { ...p.processing, deadlineMs: p.processing.deadlineMs * scale };
      p.reconcile = { ...p.reconcile, deadlineMs: p.reconcile.deadlineMs * scale };
      p.recheck = { ...p.recheck, deadlineMs: p.recheck.deadlineMs * scale };
      p.absenceProofAfterMs *= scale;
    });
    t.retry.windowMs *= scale;
    t.breaker.holdInPlaceMaxMs *= scale;
  }
  const retryBase = num("STUDIO_RETRY_BASE_MS");
  if (retryBase !== undefined) t.retry.baseMs = retryBase;
  const lease = num("STUDIO_LEASE_MS");
  if (lease !== undefined) t.leaseMs = lease;
  const resend = num("STUDIO_RESEND_AFTER_MS");
  if (resend !== undefined) t.dispatch.resendAfterMs = resend;
  const containerPoll = num("STUDIO_CONTAINER_POLL_MS");
  const publishPoll = num("STUDIO_PUBLISH_POLL_MS");
  const quick = num("STUDIO_RECONCILE_RECHECK_MS");
  const slow = num("STUDIO_UNCONFIRMED_RECHECK_MS");
  for (const [platform, byMedia] of Object.entries(t.platforms)) {
    for (const p of Object.values(byMedia) as PlatformTiming[]) {
      const poll = platform === "instagram" ? containerPoll : platform === "tiktok" ? publishPoll : undefined;
      if (poll !== undefined) p.processing.maxMs = Math.max(p.processing.firstMs, poll);
      if (quick !== undefined) p.reconcile = { ...p.reconcile, firstMs: quick, maxMs: quick };
      if (slow !== undefined) p.recheck = { ...p.recheck, firstMs: slow, maxMs: Math.max(slow, slow * 8) };
    }
  }
  if (e.STUDIO_PUBLISH_TIMING) t = merge(t, JSON.parse(e.STUDIO_PUBLISH_TIMING) as DeepPartial<PublishTiming>);
  cache = { key, value: t };
  return t;
}

/** The media kind of a post: its first medium's type, or text. */
export function mediaKindOf(media: ReadonlyArray<{ type: "image" | "video" }>): MediaKind {
  return media[0]?.type ?? "text";
}

/**
 * The waits for one platform and media type (falls back on the platform's first kind: a TikTok
 * post is always a video).
 *
 * @example platformTiming("tiktok", "video").processing.deadlineMs // 3_600_000
 */
export function platformTiming(platform: Platform, kind: MediaKind): PlatformTiming {
  const byMedia = publishTiming().platforms[platform] as Partial<Record<MediaKind, PlatformTiming>>;
  return byMedia[kind] ?? (Object.values(byMedia)[0] as PlatformTiming);
}

/**
 * The next interval of a wait that started `elapsedMs` ago: `firstMs` at first, then growing
 * with the time already waited (`elapsed × (factor − 1)`), at most `maxMs`. No counter to store.
 *
 * @example nextPollMs({ firstMs: 250, factor: 2, maxMs: 60_000, deadlineMs: 0 }, 4_000) // 4_000
 */
export function nextPollMs(plan: WaitPlan, elapsedMs: number): number {
  const elapsed = Math.max(0, elapsedMs);
  const grown = Math.round(Math.min(plan.maxMs, Math.max(plan.firstMs, elapsed * (plan.factor - 1))));
  const fine = plan.fine;
  if (!fine || elapsed >= fine.untilMs) return grown;
  if (elapsed >= fine.fromMs) return Math.min(fine.everyMs, fine.untilMs - elapsed);
  return Math.min(grown, fine.fromMs - elapsed);
}

/** The window a platform's per-minute quota is counted in (TikTok: a sliding minute). */
export const QUOTA_WINDOW_MS = MINUTE;

/**
 * The most status calls one post may make in any 60 s window when `posts` posts of its account
 * may be polling at the same time: an equal share of the quota less its reserve, at least 1.
 * `posts` × the share never exceeds `perMinute − reserve` while `posts` ≤ that number; beyond
 * it each post still gets one call a minute (TikTok's init quota, 6 a minute per token, keeps
 * more than 12 posts of one token from starting to poll within two minutes).
 *
 * @example pollShare({ perMinute: 30, reserve: 2, shareWindowMs: 120_000, fallbackPosts: 6 }, 3) // 9
 */
export function pollShare(quota: StatusQuota, posts: number): number {
  return Math.max(1, Math.floor((quota.perMinute - quota.reserve) / Math.max(1, posts)));
}

const firstMinuteCache = new Map<string, number>();

/**
 * How many checks the plan makes in the first minute of a wait (the check at its start
 * included, the deadline honoured): the share a lone post needs. Memoised per plan.
 */
export function firstMinuteCalls(plan: WaitPlan): number {
  const key = JSON.stringify(plan);
  const known = firstMinuteCache.get(key);
  if (known !== undefined) return known;
  let calls = 1;
  const end = Math.min(QUOTA_WINDOW_MS, plan.deadlineMs);
  for (let at = 0, guard = 0; guard < 100_000; guard++) {
    at += Math.max(1, nextPollMs(plan, at));
    if (at >= end) break;
    calls++;
  }
  firstMinuteCache.set(key, calls);
  return calls;
}

/**
 * The next check of a wait whose post may make at most `share` checks in any 60 s window: the
 * plan's own next check while the share covers the plan (a lone post); otherwise the plan
 * thinned — every k-th of its checks, k = ⌈first-minute checks / share⌉, so the checks keep the
 * plan's shape (finer around the usual completion) — but never further apart than the plan's
 * slowest interval or 60 s / share, whichever is longer. A check is never planned past the
 * deadline (the last one lands on it). The window itself is enforced by `quotaWaitMs`.
 *
 * @example sharedNextPollMs(plan, 1_400, 9) // 300: every third of the 100 ms checks
 */
export function sharedNextPollMs(plan: WaitPlan, elapsedMs: number, share: number): number {
  const elapsed = Math.max(0, elapsedMs);
  const k = Math.max(1, Math.ceil(firstMinuteCalls(plan) / Math.max(1, share)));
  let at = elapsed;
  for (let i = 0; i < k; i++) at += Math.max(1, nextPollMs(plan, at));
  const slowest = Math.max(plan.maxMs, Math.ceil(QUOTA_WINDOW_MS / Math.max(1, share)));
  const next = Math.min(at - elapsed, k > 1 ? slowest : Number.POSITIVE_INFINITY);
  const toDeadline = plan.deadlineMs - elapsed;
  return toDeadline > 0 ? Math.min(next, toDeadline) : next;
}

/**
 * How long to wait before a check so that this post makes at most `share` checks in any 60 s
 * window, given when it made its recent ones (`recent`, epoch ms, any order): 0 when it may
 * check now, else until the oldest of its last `share` checks is a minute old — plus
 * `slackMs`, since the platform counts when a request arrives, not when Studio sent it.
 *
 * @example quotaWaitMs([1_000, 2_000], 2, 30_000) // 32_000 (31 s + 1 s of slack)
 */
export function quotaWaitMs(recent: readonly number[], share: number, now: number, slackMs = 1_000): number {
  const inWindow = recent.filter((t) => t > now - QUOTA_WINDOW_MS - slackMs).sort((a, b) => a - b);
  if (inWindow.length < share) return 0;
  const oldest = inWindow[inWindow.length - share] as number;
  return Math.max(0, oldest + QUOTA_WINDOW_MS + slackMs - now);
}
