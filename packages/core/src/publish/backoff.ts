import { publishTiming } from "../config/publishing";

/**
 * The one retry policy of the publish pipeline: exponential backoff with "equal jitter" (half
 * fixed, half random, so a retry is never immediate and a crowd of retries spreads out), capped,
 * and a platform's own `Retry-After` / usage estimate wins when it asks for longer. How long
 * retries go on is a time window, not a count (config/publishing.ts `retry.windowMs`, per
 * workspace `publishRetryWindowMinutes`).
 */
export const RETRY_POLICY = {
  /** config/publishing.ts (STUDIO_RETRY_BASE_MS shortens it for tests; read on each use). */
  get baseMs() {
    return publishTiming().retry.baseMs;
  },
  get capMs() {
    return publishTiming().retry.capMs;
  },
};

/**
 * @example
 * backoffMs(0) // 1–2 s
 * backoffMs(3, 60_000) // ≥ 60 s: the platform asked for a minute
 */
export function backoffMs(retry: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const exp = Math.min(RETRY_POLICY.capMs, RETRY_POLICY.baseMs * 2 ** Math.min(retry, 40));
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.min(RETRY_POLICY.capMs, Math.max(jittered, retryAfterMs ?? 0));
}
