import { monitorEventLoopDelay } from "node:perf_hooks";
import { type Percentiles, percentiles } from "../chaos/report";

/**
 * Where a published post's delay went, from what the post item records (publish/transitions.ts):
 * each figure is percentiles over the platform's published posts, in ms relative to the post's
 * due time (`scheduledFor`), or between two instants. Negative = before the due time (a message
 * arriving early, an Instagram container prepared ahead).
 */
export interface DelayBreakdown {
  /** The worker picked up the message that claimed the post (`receivedAt`), from the due time. */
  received: Percentiles;
  /** The claim's write (`claimedAt`), from the due time. */
  claimed: Percentiles;
  /** Instagram: the container was created (`processingSince`), from the due time. */
  containerCreated?: Percentiles;
  /** The irreversible call was recorded (`finalCallAt`), from the due time. */
  finalCall: Percentiles;
  /** From `finalCallAt` to `publishedAt` (the call, TikTok's processing and its polls, the last write). */
  finalCallToPublished: Percentiles;
  /** Posts published on their first attempt (`attempts` = 1); the rest were retried or taken over. */
  firstAttempt: number;
}

const at = (p: Record<string, unknown>, field: string) =>
  typeof p[field] === "string" ? Date.parse(p[field] as string) : Number.NaN;

/** The breakdown of one platform's published posts. */
export function delayBreakdown(posts: Array<Record<string, unknown>>, platform: string): DelayBreakdown {
  const mine = posts.filter((p) => p.platform === platform && p.status === "published");
  const since = (field: string, from = "scheduledFor") =>
    percentiles(mine.map((p) => at(p, field) - at(p, from)).filter(Number.isFinite));
  return {
    received: since("receivedAt"),
    claimed: since("claimedAt"),
    ...(platform === "instagram" ? { containerCreated: since("processingSince") } : {}),
    finalCall: since("finalCallAt"),
    finalCallToPublished: since("publishedAt", "finalCallAt"),
    firstAttempt: mine.filter((p) => p.attempts === 1).length,
  };
}

/**
 * Publish delay by when in the minute the post fell due (the dispatcher runs at the start of
 * each minute and sends most of the minute's messages then): seconds 0–9 against 10–59.
 */
export function delayByDueSecond(posts: Array<Record<string, unknown>>): Record<string, Percentiles> {
  const published = posts.filter((p) => p.status === "published");
  const delay = (p: Record<string, unknown>) => at(p, "publishedAt") - at(p, "scheduledFor");
  const second = (p: Record<string, unknown>) => new Date(at(p, "scheduledFor")).getUTCSeconds();
  return {
    "0-9": percentiles(published.filter((p) => second(p) < 10).map(delay)),
    "10-59": percentiles(published.filter((p) => second(p) >= 10).map(delay)),
  };
}

/** The event loop's delay while `fn` runs (the runtime, simulators and bench share one process). */
export async function withEventLoopDelay<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; eventLoopDelayMs: Percentiles }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  try {
    const result = await fn();
    const ms = (ns: number) => Math.round(ns / 1e5) / 10;
    return {
      result,
      eventLoopDelayMs: {
        n: h.count,
        p50: ms(h.percentile(50)),
        p95: ms(h.percentile(95)),
        p99: ms(h.percentile(99)),
        max: ms(h.max),
      },
    };
  } finally {
    h.disable();
  }
}
