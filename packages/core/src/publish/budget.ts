import { publishTiming } from "../config/publishing";

/**
 * One record's share of an invocation's time. Every platform call, media probe and lock wait
 * takes its timeout from it, so nothing runs past the function's own timeout; the final call
 * starts only when it fits (`fitsFinalCall`), otherwise the work is handed back to the queue.
 *
 * @example
 * const budget = Budget.until(Date.now() + context.getRemainingTimeInMillis());
 * await fetch(url, { signal: AbortSignal.timeout(budget.timeoutFor(10_000)) });
 */
export class Budget {
  private constructor(
    /** Epoch ms after which nothing may still be running (the margin is already taken off). */
    readonly deadline: number,
    private readonly now: () => number,
  ) {}

  /** A budget ending at `endsAt` (the invocation's end), minus the configured margin. */
  static until(endsAt: number, now: () => number = Date.now): Budget {
    return new Budget(endsAt - publishTiming().invocation.marginMs, now);
  }

  /** The default budget from now (callers without a Lambda context). */
  static standard(now: () => number = Date.now): Budget {
    return Budget.until(now() + publishTiming().invocation.defaultBudgetMs, now);
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - this.now());
  }

  /** The timeout for one operation: at most `maxMs`, never past the deadline (at least 1 ms). */
  timeoutFor(maxMs: number): number {
    return Math.max(1, Math.min(maxMs, this.remainingMs()));
  }

  private abort: AbortSignal | undefined;

  /**
   * Aborts half the margin after the deadline: every DynamoDB and SQS request made for this
   * record ends then (the worker runs the record with it in scope, aws/clients.ts), so a hung
   * connection costs the record its turn, never the invocation. Until then the writes that
   * record a step cut at the deadline (a probe's timeout → a retry) can still be made; the rest
   * of the margin is the queue consumer's, to report the record.
   */
  get signal(): AbortSignal {
    this.abort ??= AbortSignal.timeout(Math.max(1, this.remainingMs() + publishTiming().invocation.marginMs / 2));
    return this.abort;
  }

  /** True once the deadline has passed. */
  exhausted(): boolean {
    return this.remainingMs() <= 0;
  }

  /** True when `ms` of work still fits before the deadline. */
  fits(ms: number): boolean {
    return this.remainingMs() >= ms;
  }

  /** The irreversible call is started only with its full timeout (and the write after it) left. */
  fitsFinalCall(): boolean {
    return this.fits(publishTiming().invocation.finalCallReserveMs);
  }
}

/** Not enough time left in this invocation for the next step: hand the work back to the queue. */
export class OutOfTimeError extends Error {
  constructor(readonly what: string) {
    super(`out of time in this invocation before ${what}`);
    this.name = "OutOfTimeError";
  }
}
