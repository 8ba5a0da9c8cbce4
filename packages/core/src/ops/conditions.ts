import { alarmThresholds } from "../config/alarms";
import { schedules } from "../config/jobs";
import { db } from "../db/service";
import * as JobRun from "../job-run/job-run";
import { allShards } from "../util/shard";
import { queueDepths } from "./queues";
import { countUnconfirmed } from "./unconfirmed";

/** One condition an alarm watches in AWS, as the running system sees it now. */
export interface Condition {
  /** The alarm's name in stacks/alarms.ts (without the stage prefix). */
  name: string;
  ok: boolean;
  value: number | null;
  threshold: number;
  detail: string;
}

const WINDOW_MS = 5 * 60_000;

/**
 * The conditions of Studio's CloudWatch alarms (stacks/alarms.ts), computed from the table and
 * the queues, for `GET /v1/ops/health` and `pnpm ops health` — the same questions, answerable
 * without CloudWatch (locally, or before a metric has arrived):
 * - every DLQ's depth (alarm: any dead letter);
 * - the publish backlog (alarm: the queue's oldest message; here: the oldest scheduled post
 *   past its time and not yet taken, from the due index);
 * - failed dispatcher runs and lease sweeps, and failed runs of every schedule (the scheduled
 *   Lambdas' errors), in the last 5 minutes (job runs);
 * - unconfirmed posts still being re-checked.
 * Lambda throttles and the consumers' own errors exist only in CloudWatch: not listed here.
 *
 * @example
 * const { ok, conditions } = await operatorConditions();
 */
export async function operatorConditions(now = Date.now()): Promise<{ ok: boolean; conditions: Condition[] }> {
  const t = alarmThresholds;
  const [depths, overdue, runs, unconfirmed] = await Promise.all([
    queueDepths(),
    oldestOverdueSeconds(now),
    JobRun.list(Object.keys(schedules), 100),
    countUnconfirmed(),
  ]);
  const recent = runs.items.filter((r) => Date.parse(r.startedAt) >= now - WINDOW_MS && r.status === "error");
  const reasons = (rs: typeof recent) => rs.flatMap((r) => r.failures.map((f) => f.reason)).slice(0, 3);
  const dispatcher = recent.filter((r) => r.kind === "publishDispatcher");
  const sweeps = dispatcher.filter((r) => r.failures.some((f) => f.reason.startsWith("lease sweep failed")));
  const jobs = recent.filter((r) => r.kind !== "publishDispatcher");

  const conditions: Condition[] = [
    ...depths.map((d) => ({
      name: `${d.queue}-dlq-depth`,
      ok: d.deadLetters < t.dlqMessages,
      value: d.deadLetters,
      threshold: t.dlqMessages,
      detail: d.deadLetters ? `pnpm ops peek ${d.queue} shows them` : "no dead letters",
    })),
    {
      name: "publish-backlog",
      ok: overdue === null || overdue < t.overdueScheduledSeconds,
      value: overdue,
      threshold: t.overdueScheduledSeconds,
      detail:
        overdue === null
          ? "no scheduled post past its time"
          : `a scheduled post is ${overdue} s past its time, not taken`,
    },
    {
      name: "dispatcher-failures",
      ok: dispatcher.length < t.dispatcherFailures,
      value: dispatcher.length,
      threshold: t.dispatcherFailures,
      detail: dispatcher.length ? reasons(dispatcher).join("; ") : "no failed run in the last 5 minutes",
    },
    {
      name: "sweep-failures",
      ok: sweeps.length < t.sweepFailures,
      value: sweeps.length,
      threshold: t.sweepFailures,
      detail: sweeps.length ? reasons(sweeps).join("; ") : "no failed lease sweep in the last 5 minutes",
    },
    {
      name: "job-errors",
      ok: jobs.length < t.lambdaErrors,
      value: jobs.length,
      threshold: t.lambdaErrors,
      detail: jobs.length
        ? jobs.map((r) => `${r.kind}: ${reasons([r]).join("; ")}`).join(" | ")
        : "no failed scheduled job in the last 5 minutes",
    },
    {
      name: "unconfirmed-posts",
      ok: unconfirmed < t.unconfirmedPosts,
      value: unconfirmed,
      threshold: t.unconfirmedPosts,
      detail: unconfirmed ? "posts whose outcome Studio could not establish: check and settle them" : "none",
    },
  ];
  return { ok: conditions.every((c) => c.ok), conditions };
}

/** Seconds the oldest scheduled post is past its time (due index, one item per shard), or null. */
async function oldestOverdueSeconds(now: number): Promise<number | null> {
  const before = new Date(now - 1_000).toISOString();
  const firsts = await Promise.all(
    allShards().map((dueShard) =>
      db()
        .entities.post.query.due({ dueShard })
        .lte({ dueAt: `${before}~` })
        .go({ limit: 1 }),
    ),
  );
  const times = firsts.flatMap((r) => r.data).map((p) => Date.parse(p.scheduledFor as string));
  if (!times.length) return null;
  return Math.floor((now - Math.min(...times)) / 1000);
}
