import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { logger } from "@studio/core/util/logger";
import { invokeHandler, type LambdaHandler, lambdaContext, loadHandler } from "./handler-module";
import { nextRuns, type ParsedSchedule, parseSchedule } from "./schedule-expression";

/** What the scheduler needs from a schedule spec (config/jobs.ts `ScheduleSpec`). */
export interface ScheduledJob {
  name: string;
  /** EventBridge expression; ignored when `periodSeconds` is set. */
  expression: string;
  handler: string;
  timeoutSeconds: number;
  /** Local override for tests and demos: fire every N seconds instead of on the expression. */
  periodSeconds?: number;
}

/** Longest delay setTimeout accepts; longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The local stand-in for EventBridge scheduled rules: fires each job on its real expression
 * (UTC) and invokes its handler module with an EventBridge "Scheduled Event". A run still going
 * when the next one fires is allowed to overlap, as with EventBridge → Lambda (the handlers are
 * built for it), and logged. Missed fires (laptop asleep) are not caught up, as in AWS.
 *
 * @example
 * const s = new Scheduler([{ ...schedules.publishDispatcher, periodSeconds: 2 }], "local");
 * await s.start(); … await s.stop(60_000);
 */
export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Set<Promise<void>>>();
  private readonly fired = new Map<string, number>();
  private stopped = true;

  constructor(
    private readonly jobs: ScheduledJob[],
    private readonly stage: string,
  ) {}

  /** How many times each job has fired since start (for tests and the ops view). */
  get fireCounts(): Record<string, number> {
    return Object.fromEntries(this.fired);
  }

  async start(): Promise<void> {
    this.stopped = false;
    for (const job of this.jobs) {
      const handler = await loadHandler(job.handler);
      const schedule: ParsedSchedule =
        job.periodSeconds && job.periodSeconds > 0
          ? {
              kind: "rate",
              expression: `every ${job.periodSeconds} s (local override)`,
              periodMs: job.periodSeconds * 1000,
            }
          : parseSchedule(job.expression);
      this.running.set(job.name, new Set());
      this.fired.set(job.name, 0);
      this.arm(job, handler, schedule, new Date());
      logger.info("schedule armed", { schedule: job.name, expression: schedule.expression });
    }
  }

  /** Stops firing; waits up to `graceMs` for runs in progress. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    const runs = [...this.running.values()].flatMap((s) => [...s]);
    if (runs.length) await Promise.race([Promise.all(runs), sleep(graceMs)]);
  }

  private arm(job: ScheduledJob, handler: LambdaHandler, schedule: ParsedSchedule, after: Date) {
    if (this.stopped) return;
    const [next] = nextRuns(schedule, after, 1);
    if (!next) return;
    const wait = next.getTime() - Date.now();
    const timer = setTimeout(
      () => {
        if (wait > MAX_TIMER_MS) return this.arm(job, handler, schedule, after);
        this.fire(job, handler, next);
        // Strictly after both the fire time and now: an early timer never fires twice.
        this.arm(job, handler, schedule, new Date(Math.max(next.getTime(), Date.now())));
      },
      Math.min(Math.max(0, wait), MAX_TIMER_MS),
    );
    timer.unref?.();
    this.timers.set(job.name, timer);
  }

  private fire(job: ScheduledJob, handler: LambdaHandler, at: Date) {
    if (this.stopped) return;
    const runs = this.running.get(job.name) as Set<Promise<void>>;
    this.fired.set(job.name, (this.fired.get(job.name) ?? 0) + 1);
    if (runs.size > 0) {
      // Expected with a seconds-long override (tests, demos on a busy machine): a note, not a warning.
      const log = job.periodSeconds ? logger.info.bind(logger) : logger.warn.bind(logger);
      log("schedule fired while its previous run is still going; letting them overlap", {
        schedule: job.name,
        running: runs.size,
      });
    }
    const id = randomUUID();
    const functionName = `${this.stage}-studio-${job.name}`;
    const context = lambdaContext(functionName, job.timeoutSeconds, id);
    const run: Promise<void> = invokeHandler(
      handler,
      scheduledEvent(this.stage, job.name, at, id),
      context,
      job.timeoutSeconds,
    )
      .then(() => undefined)
      .catch((err) => {
        logger.error("scheduled run failed", {
          schedule: job.name,
          error: err instanceof Error ? err.message : String(err),
        });
      })
      .finally(() => runs.delete(run));
    runs.add(run);
  }
}

/** The event EventBridge sends a scheduled rule's Lambda target. */
export function scheduledEvent(stage: string, name: string, at: Date, id = randomUUID()) {
  const region = process.env.AWS_REGION ?? "us-east-1";
  return {
    version: "0",
    id,
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "000000000000",
    time: `${at.toISOString().slice(0, 19)}Z`,
    region,
    resources: [`arn:aws:events:${region}:000000000000:rule/${stage}-studio-${name}`],
    detail: {},
  };
}
