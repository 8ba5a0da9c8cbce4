import { queues } from "../config/jobs";
import { logger } from "../util/logger";
import { type GenerationItem, renewLease } from "./generation";

/** The lease a run holds on its generation, and how often it renews it (config/jobs.ts `llm`). */
export interface LeaseTiming {
  leaseMs: number;
  renewEveryMs: number;
}

/**
 * The `llm` queue's lease: as long as the message's visibility, renewed at the queue's heartbeat.
 * `STUDIO_LLM_LEASE_SECONDS` shortens both for tests (renewal at a quarter of it), so a crash
 * test recovers in seconds; production always uses config/jobs.ts.
 */
export function leaseTiming(): LeaseTiming {
  const override = Number(process.env.STUDIO_LLM_LEASE_SECONDS);
  if (Number.isFinite(override) && override > 0) {
    return { leaseMs: override * 1000, renewEveryMs: (override * 1000) / 4 };
  }
  const spec = queues.llm;
  return {
    leaseMs: spec.visibilityTimeoutSeconds * 1000,
    renewEveryMs: (spec.heartbeat?.everySeconds ?? spec.visibilityTimeoutSeconds / 4) * 1000,
  };
}

/** Thrown (as the abort reason) into a run whose lease could not be kept. */
export class LeaseLostError extends Error {
  constructor(
    readonly generationId: string,
    reason: string,
  ) {
    super(`generation ${generationId}: lease lost (${reason}); the run stops so it never runs twice at once`);
    this.name = "LeaseLostError";
  }
}

export interface Heartbeat {
  /** Aborted when the lease is lost: every LLM call of the run takes it, so the call stops. */
  signal: AbortSignal;
  /** Why the run lost its lease, once it has. */
  readonly lost: LeaseLostError | undefined;
  stop(): void;
}

/**
 * Keeps a running generation's lease and its queue message alive: every `renewEveryMs` it
 * extends the lease (conditional on this run's `leaseOwner`) and the message's visibility
 * (`extendMessage`, best effort: the consumer passes ChangeMessageVisibility). A worker that
 * dies stops beating, so both run out within `leaseMs` and the next delivery resumes the work.
 *
 * The run stops itself (`signal` aborts) when the lease is no longer its own (taken over, or
 * the generation ended elsewhere), or when it could not renew (the table unreachable) and the
 * lease is about to expire: a worker cut off from the table never keeps calling the model
 * while another worker may claim the same generation.
 *
 * Timeline (lease 60 s, beat 15 s): claim t0 → lease t0+60; beats at t0+15, +30, … each push it
 * to beat+60. Crash at t1: last beat ≤ t1 → lease ≤ t1+60 → message visible ≤ t1+60 → resumed.
 *
 * @example
 * const hb = startHeartbeat(g, leaseTiming(), (s) => changeVisibility(receiptHandle, s));
 * try { await generator.run(g, { ...ctx, signal: hb.signal }); } finally { hb.stop(); }
 */
export function startHeartbeat(
  g: GenerationItem,
  timing: LeaseTiming,
  extendMessage?: (seconds: number) => Promise<void>,
): Heartbeat {
  const controller = new AbortController();
  let lost: LeaseLostError | undefined;
  let leaseUntil = Date.now() + timing.leaseMs;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const lose = (reason: string) => {
    if (lost) return;
    lost = new LeaseLostError(g.id, reason);
    logger.warn("generation lease lost; stopping the run", { id: g.id, reason });
    controller.abort(lost);
  };
  const seconds = Math.ceil(timing.leaseMs / 1000);
  const beat = async () => {
    const at = Date.now();
    try {
      if (!(await renewLease(g, timing.leaseMs, at))) return lose("taken over or ended");
      leaseUntil = at + timing.leaseMs;
    } catch (err) {
      // Keep going while the lease still covers the next beat; stop before it can expire.
      if (Date.now() + timing.renewEveryMs >= leaseUntil) return lose(`could not renew: ${String(err)}`);
      logger.warn("could not renew a generation lease; will try again", { id: g.id, err });
    }
    await extendMessage?.(seconds).catch((err) =>
      logger.warn("could not extend the message's visibility (the lease still guards the run)", { id: g.id, err }),
    );
  };
  const schedule = () => {
    if (stopped || lost) return;
    timer = setTimeout(() => {
      void beat().finally(schedule);
    }, timing.renewEveryMs);
    timer.unref?.();
  };
  // The message's visibility starts as the queue's; align it with the lease at once.
  void extendMessage?.(seconds).catch(() => undefined);
  schedule();
  return {
    signal: controller.signal,
    get lost() {
      return lost;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
