/**
 * Fault injection for the platform simulators: a list of rules matched against every call.
 * A rule fires either for the next `times` matching calls (a one-shot queue) or with probability
 * `rate` (seedable RNG, so a chaos run can be replayed). See README.md for the vocabulary.
 */

export const FAULT_TYPES = [
  "rate_limit",
  "throttle",
  "server_error",
  "slow",
  "timeout",
  "reset",
  "token_expired",
  "token_invalid",
  "invalid_grant",
  "daily_limit",
  "duplicate",
  "policy_block",
  "media_rejected",
  "container_error",
  "container_expired",
  "publish_failed",
  "stuck",
  "response_lost",
  "blocked_but_live",
  "usage_high",
  "not_found",
  "wrong_type",
  "error",
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

export interface FaultSpec {
  /** `instagram.media_publish`, `instagram.*`, `*` … (README lists the operations). */
  operation: string;
  type: FaultType;
  /** Only calls for this account (IG user id, page id, TikTok open_id). Default: every account. */
  accountId?: string;
  /** One-shot queue: fire on the next N matching calls (default 1 when `rate` is absent). */
  times?: number;
  /** Probability 0..1 per matching call (persistent until cleared; `times` caps it if given). */
  rate?: number;
  /** Let the first N matching calls through before this rule can fire (a fault mid-run). */
  skip?: number;
  /** `rate_limit`: Retry-After seconds (default 60). `throttle`: optional Retry-After. */
  retryAfterSec?: number;
  /**
   * `slow`: delay before answering normally; `timeout`: optional cap before the socket is
   * destroyed; a refusal (`throttle`, `rate_limit`, `server_error`, …): delay before it answers.
   */
  delayMs?: number;
  /** HTTP status for `server_error` (default 500) and `error`. */
  status?: number;
  /** Platform code for `throttle` (Graph 4/17/32/613/80002/1390008) or `error` (Graph number or TikTok string). */
  code?: number | string;
  subcode?: number;
  message?: string;
  isTransient?: boolean;
  /** `usage_high`/`throttle`: percentage in the usage headers (default 95 / 100). */
  usagePercent?: number;
  /** `throttle`/`rate_limit`: estimated_time_to_regain_access in minutes. */
  regainMinutes?: number;
  /** `response_lost`: destroy the socket (`reset`, default) or never answer (`hang`). */
  mode?: "reset" | "hang";
  /** `publish_failed`: TikTok fail_reason (default file_format_check_failed). */
  failReason?: string;
}

export interface Fault extends FaultSpec {
  id: string;
  fired: number;
  /** Matching calls let through because of `skip`. */
  skipped?: number;
}

/** mulberry32: small, fast, seedable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function matches(pattern: string, operation: string): boolean {
  if (pattern === "*" || pattern === operation) return true;
  return pattern.endsWith(".*") && operation.startsWith(pattern.slice(0, -1));
}

export class FaultRegistry {
  private faults: Fault[] = [];
  private next = 1;
  private random: () => number;

  /** `types`: the vocabulary this registry accepts (the offline model has its own). */
  constructor(
    seed = 1,
    private readonly types: readonly string[] = FAULT_TYPES,
  ) {
    this.random = rng(seed);
  }

  seed(seed: number) {
    this.random = rng(seed);
  }

  add(spec: FaultSpec): Fault {
    if (!this.types.includes(spec.type)) throw new Error(`unknown fault type ${spec.type}`);
    if (!spec.operation) throw new Error("a fault needs an operation (or *)");
    if (spec.rate !== undefined && !(spec.rate >= 0 && spec.rate <= 1)) throw new Error("rate must be within 0..1");
    const fault: Fault = { ...spec, id: `f${this.next++}`, fired: 0 };
    if (fault.rate === undefined && fault.times === undefined) fault.times = 1;
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  clear(id?: string) {
    this.faults = id ? this.faults.filter((f) => f.id !== id) : [];
  }

  /**
   * The fault for this call, if one fires (first matching rule in insertion order). A one-shot
   * rule is consumed; `types` restricts the rules considered (e.g. the media host only knows a
   * few).
   */
  take(operation: string, accountId: string | undefined): Fault | undefined {
    for (const f of this.faults) {
      if (!matches(f.operation, operation)) continue;
      if (f.accountId && f.accountId !== accountId) continue;
      if (f.times !== undefined && f.fired >= f.times) continue;
      if (f.skip && (f.skipped ?? 0) < f.skip) {
        f.skipped = (f.skipped ?? 0) + 1;
        continue;
      }
      if (f.rate !== undefined && this.random() >= f.rate) continue;
      f.fired++;
      if (f.rate === undefined && f.times !== undefined && f.fired >= f.times)
        this.faults = this.faults.filter((x) => x !== f);
      return { ...f };
    }
    return undefined;
  }
}
