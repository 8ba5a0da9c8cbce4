import type { Platform } from "../platforms";

/**
 * How Studio must react to a platform failure. Decided once, here and in the adapters'
 * `classify…` functions, never in the engine:
 * - `retryable`: nothing happened (or it is safe to repeat): back off and retry;
 * - `rate_limited`: retryable, and the account's breaker opens for `retryAfterMs`;
 * - `auth`: the token is bad: refresh once, then retry the same step once;
 * - `reconnect`: refresh is impossible (`invalid_grant`-type): the account needs reconnecting;
 * - `permanent`: the platform refused the content or request: fail the post, do not retry;
 * - `unknown_outcome`: the request may have taken effect (timeout or dropped connection after
 *   sending, "action blocked" on a post that may be live): never repeat, reconcile.
 */
export type PlatformErrorKind = "retryable" | "rate_limited" | "auth" | "reconnect" | "permanent" | "unknown_outcome";

export class PlatformError extends Error {
  readonly platform: Platform;
  readonly kind: PlatformErrorKind;
  /** Stable Studio code, e.g. `platform.rate_limited`, `platform.media_rejected`. */
  readonly code: string;
  readonly httpStatus?: number;
  /** The platform's own code and subcode (e.g. 190/463, "rate_limit_exceeded"). */
  readonly platformCode?: string;
  readonly platformSubcode?: string;
  /** From Retry-After or usage headers (`estimated_time_to_regain_access`). */
  readonly retryAfterMs?: number;

  constructor(init: {
    platform: Platform;
    kind: PlatformErrorKind;
    code: string;
    message: string;
    httpStatus?: number;
    platformCode?: string;
    platformSubcode?: string;
    retryAfterMs?: number;
  }) {
    super(init.message);
    this.name = "PlatformError";
    this.platform = init.platform;
    this.kind = init.kind;
    this.code = init.code;
    this.httpStatus = init.httpStatus;
    this.platformCode = init.platformCode;
    this.platformSubcode = init.platformSubcode;
    this.retryAfterMs = init.retryAfterMs;
  }
}

export const isPlatformError = (e: unknown): e is PlatformError => e instanceof PlatformError;
