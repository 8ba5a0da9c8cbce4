import type { FaultSpec, FaultType } from "../simulators/faults";

/**
 * The chaos run's fault mix: for every platform operation, a weighted list of faults that mean
 * something for it, turned into the simulators' rate rules so that each call of that operation
 * fails with probability `rate` overall (the registry tries rules in order, each with its own
 * probability, so rule i gets `rate·wᵢ / (1 − rate·Σ_{j<i} wⱼ)`).
 *
 * Refresh failures are transient only (`server_error`, a dropped connection before the action):
 * an `invalid_grant` legitimately kills an account, so it is injected on one dedicated account
 * (see driver.ts), never at random.
 */
type Mix = Array<[FaultType, number, Partial<FaultSpec>?]>;

const fastRetry = { retryAfterSec: 2 } as const;
/** Longer than the adapters' 10 s request timeout: the client gives up first. */
const timeout = { delayMs: 11_000 } as const;

const FINAL_CALL: Mix = [
  ["rate_limit", 0.15, fastRetry],
  ["throttle", 0.1, { code: 613, regainMinutes: 1, ...fastRetry }],
  ["throttle", 0.05, { code: 80002, regainMinutes: 1, ...fastRetry }],
  ["server_error", 0.15],
  ["server_error", 0.05, { status: 503 }],
  ["timeout", 0.05, timeout],
  ["response_lost", 0.15],
  ["response_lost", 0.05, { mode: "hang", delayMs: 11_000 }],
  ["blocked_but_live", 0.1],
  ["token_expired", 0.15],
];

const CONTAINER_CREATE: Mix = [
  ["rate_limit", 0.2, fastRetry],
  ["throttle", 0.15, { code: 4, regainMinutes: 1, ...fastRetry }],
  ["server_error", 0.3],
  ["token_expired", 0.15],
  ["reset", 0.1],
  ["container_error", 0.05],
  ["container_expired", 0.05],
];

const CONTAINER_STATUS: Mix = [
  ["server_error", 0.4],
  ["rate_limit", 0.2, fastRetry],
  ["timeout", 0.1, timeout],
  ["token_expired", 0.1],
  ["reset", 0.1],
  ["container_error", 0.05],
  ["container_expired", 0.05],
];

const READ: Mix = [
  ["server_error", 0.4],
  ["rate_limit", 0.2, fastRetry],
  ["throttle", 0.1, { code: 17, regainMinutes: 1, ...fastRetry }],
  ["timeout", 0.1, timeout],
  ["token_expired", 0.1],
  ["reset", 0.1],
];

const REFRESH: Mix = [
  ["server_error", 0.8],
  ["reset", 0.2],
];

export const FAULT_PLAN: Record<string, Mix> = {
  "instagram.media_publish": FINAL_CALL,
  "facebook.create_post": FINAL_CALL,
  "tiktok.init": FINAL_CALL,
  "instagram.container_create": CONTAINER_CREATE,
  "instagram.container_status": CONTAINER_STATUS,
  "tiktok.status": [...READ.filter(([t]) => t !== "timeout"), ["publish_failed", 0.02]],
  "tiktok.creator_info": READ,
  "instagram.recent_media": READ,
  "facebook.recent_posts": READ,
  "tiktok.recent_videos": READ,
  "instagram.publishing_limit": READ,
  "instagram.refresh": REFRESH,
  "tiktok.refresh": REFRESH,
};

/**
 * Rate rules for the simulators: every operation of FAULT_PLAN fails with probability `rate`.
 *
 * @example
 * sims.control.addFaults(faultMix(0.25), 42);
 */
export function faultMix(rate: number): FaultSpec[] {
  if (!(rate >= 0 && rate < 1)) throw new Error("fault rate must be within [0, 1)");
  const specs: FaultSpec[] = [];
  if (rate === 0) return specs;
  for (const [operation, mix] of Object.entries(FAULT_PLAN)) {
    const total = mix.reduce((n, [, w]) => n + w, 0);
    let used = 0;
    for (const [type, weight, extra] of mix) {
      const share = (rate * weight) / total;
      specs.push({ operation, type, ...extra, rate: Math.min(1, share / (1 - used)) });
      used += share;
    }
  }
  return specs;
}
