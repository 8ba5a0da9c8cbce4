import type { EntityItem } from "electrodb";
import { isConditionalFailure } from "../db/conditional";
import { createOnce } from "../db/own-write";
import { db } from "../db/service";
import { newId } from "../util/id";
import { logger } from "../util/logger";
import { eachPage } from "../util/pages";
import { nowIso, ttlInDays } from "../util/time";
import type { JobRunEntity, JobRunStatus } from "./job-run.entity";

/**
 * The one way every schedule records what it did (`GET /v1/ops/jobs`):
 *
 * - a job that does its work in the run itself (the publish dispatcher) wraps it in `record`;
 * - a job that fans work out (metrics, competitors, reports) calls `start`, sends its messages
 *   carrying `RunRef`, then `fannedOut(run, n)`; each consumer calls `completePart` once per
 *   message when that message is done, or failed for the last time. The last part (or
 *   `fannedOut`, if every part was faster) closes the run: `finishedAt`, totals, failures.
 *
 * Counts are plain `name → number` maps that add up across parts; failures are `{ ref, reason }`
 * (a post, account or competitor id and a reason in words), the first 50 kept.
 */

export interface Failure {
  /** What failed: a post, account or competitor id. */
  ref: string;
  reason: string;
}

export interface Outcome {
  counts?: Record<string, number>;
  failures?: Failure[];
}

/** What `record`'s work returns: its outcome, and `skipped` with a reason when it did nothing on purpose. */
export interface RecordedOutcome<T> extends Outcome {
  result: T;
  complete?: boolean;
  /** The run did nothing, on purpose: recorded `skipped` with this as its note. */
  skipped?: string;
}

/** What a fan-out message carries so its consumer can report its part. */
export interface RunRef {
  runId: string;
}

export type Trigger = "schedule" | "manual";

export interface JobRunView {
  id: string;
  kind: string;
  trigger: Trigger;
  startedAt: string;
  finishedAt: string | null;
  status: JobRunStatus;
  /** What the run did, in words (a `skipped` run says why); null when its counts say it all. */
  note: string | null;
  durationMs: number | null;
  counts: Record<string, number>;
  failures: Failure[];
  parts: { sent: number | null; done: number };
}

const KEEP_DAYS = 30;
const MAX_FAILURES = 50;

/**
 * Runs `work` as one run of `job` and records it, whatever happens: `ok`, `partial` (the work
 * says it did not finish, or reported failures), `skipped` (the work did nothing on purpose and
 * says why) or `error` (it threw; the error is rethrown).
 *
 * @example
 * const stats = await JobRun.record("publishDispatcher", "schedule", async () => {
 *   const s = await dispatch();
 *   return { result: s, counts: { sent: s.sent }, complete: s.complete };
 * });
 */
export async function record<T>(
  job: string,
  trigger: Trigger,
  work: (run: RunRef) => Promise<RecordedOutcome<T>>,
): Promise<{ runId: string; result: T }> {
  const run = await start(job, trigger);
  try {
    const out = await work({ runId: run.runId });
    const failures = (out.failures ?? []).slice(0, MAX_FAILURES);
    await close(run.runId, {
      status: out.skipped ? "skipped" : out.complete === false || failures.length ? "partial" : "ok",
      counts: out.counts ?? {},
      failures,
      note: out.skipped,
    });
    return { runId: run.runId, result: out.result };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    logger.error("job run failed", { job, runId: run.runId, error: reason });
    await close(run.runId, { status: "error", counts: {}, failures: [{ ref: job, reason }] }).catch(() => undefined);
    throw err;
  }
}

/**
 * Records the start of a run (status `running`).
 *
 * @example
 * const run = await JobRun.start("metricsRefresh", "schedule");
 */
export async function start(job: string, trigger: Trigger, now = Date.now()): Promise<RunRef> {
  const runId = newId("run");
  const startedAt = nowIso(now);
  // A lost answer's retry fails on our own item: recognised by the id generated here, so the
  // run goes on instead of failing (db/own-write.ts).
  await createOnce({
    what: "jobRun.start",
    write: () =>
      db()
        .entities.jobRun.create({
          id: runId,
          job,
          trigger,
          startedAt,
          status: "running",
          counts: {},
          failures: [],
          partsDone: 0,
          ttl: ttlInDays(KEEP_DAYS, now),
        })
        .go({ response: "none" }),
    readBack: async () => (await db().entities.jobRun.get({ id: runId }).go({ consistent: true })).data ?? undefined,
    isOurs: (r) => r.job === job && r.startedAt === startedAt,
    answer: () => undefined,
  });
  return { runId };
}

/**
 * The fan-out of `run` is sent: `parts` messages will each report once. Closes the run if they
 * all already have (or if there were none). `outcome` is what the fan-out itself counted.
 *
 * @example
 * await JobRun.fannedOut(run, accounts.length, { counts: { accounts: accounts.length } });
 */
export async function fannedOut(run: RunRef, parts: number, outcome: Outcome = {}): Promise<void> {
  const { data } = await db()
    .entities.jobRun.patch({ id: run.runId })
    .set({ parts, counts: outcome.counts ?? {}, failures: (outcome.failures ?? []).slice(0, MAX_FAILURES) })
    .go({ response: "all_new" });
  await closeIfDone(run.runId, data.parts, data.partsDone);
}

/**
 * One message of a fan-out run is done (or failed for good): counts its outcome once, whatever
 * the number of deliveries, and closes the run when it was the last. `key` names the work item
 * (the account id, the competitor id). Returns false when this part had already reported.
 *
 * @example
 * await JobRun.completePart(msg, accountId, { counts: { posts: 12, snapshots: 12 } });
 */
export async function completePart(run: RunRef, key: string, outcome: Outcome, now = Date.now()): Promise<boolean> {
  const res = await db()
    .transaction.write(({ jobRunPart, jobRun }) => [
      jobRunPart
        .create({
          runId: run.runId,
          key,
          at: nowIso(now),
          counts: outcome.counts ?? {},
          failures: (outcome.failures ?? []).slice(0, MAX_FAILURES),
          ttl: ttlInDays(KEEP_DAYS, now),
        })
        .commit(),
      jobRun.patch({ id: run.runId }).add({ partsDone: 1 }).commit(),
    ])
    .go();
  if (res.canceled) {
    // The part exists (a redelivery, a replay): nothing to count. A missing run (expired, or
    // a message older than its run) also cancels: nothing to count either.
    return false;
  }
  const { data } = await db().entities.jobRun.get({ id: run.runId }).go({ consistent: true });
  if (data) await closeIfDone(run.runId, data.parts, data.partsDone);
  return true;
}

async function closeIfDone(runId: string, parts: number | undefined, done: number | undefined) {
  if (parts === undefined || (done ?? 0) < parts) return;
  const run = (await db().entities.jobRun.get({ id: runId }).go({ consistent: true })).data;
  if (!run || run.finishedAt) return;
  const total = await aggregate(runId, run.counts ?? {}, run.failures ?? []);
  await close(runId, {
    status: total.failures.length ? "partial" : "ok",
    counts: total.counts,
    failures: total.failures,
  });
}

/** The run's own counts plus every part's. */
async function aggregate(runId: string, counts: Record<string, number>, failures: Failure[]) {
  const out = { counts: { ...counts }, failures: [...failures] };
  await eachPage(
    (cursor) => db().entities.jobRunPart.query.byRun({ runId }).go({ cursor, limit: 500 }),
    (page) => {
      for (const p of page) {
        for (const [k, v] of Object.entries((p.counts ?? {}) as Record<string, number>)) {
          out.counts[k] = (out.counts[k] ?? 0) + v;
        }
        out.failures.push(...((p.failures ?? []) as Failure[]));
      }
    },
  );
  out.failures = out.failures.slice(0, MAX_FAILURES);
  return out;
}

/**
 * Closes a run once: the write is conditional on `finishedAt` being absent, so two last parts
 * racing write the same totals once.
 */
async function close(
  runId: string,
  r: { status: JobRunStatus; counts: Record<string, number>; failures: Failure[]; note?: string },
) {
  await db()
    .entities.jobRun.patch({ id: runId })
    .set({
      status: r.status,
      counts: r.counts,
      failures: r.failures,
      finishedAt: nowIso(),
      ...(r.note ? { note: r.note } : {}),
    })
    .where(({ finishedAt }, { notExists }) => notExists(finishedAt))
    .go({ response: "none" })
    .catch((err: unknown) => {
      if (isConditionalFailure(err)) return;
      throw err;
    });
}

/**
 * Recent runs, newest first: of one job, or of all `jobs` merged. A running fan-out run shows
 * its parts' counts so far.
 *
 * @example
 * const { items } = await JobRun.list(["metricsRefresh"], 20);
 */
export async function list(jobs: string[], limit: number): Promise<{ items: JobRunView[] }> {
  const pages = await Promise.all(
    jobs.map((job) => db().entities.jobRun.query.byJob({ job }).go({ order: "desc", limit })),
  );
  const runs = pages
    .flatMap((p) => p.data)
    .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0))
    .slice(0, limit);
  const items = await Promise.all(
    runs.map(async (r) =>
      toView(r, !r.finishedAt && r.partsDone ? await aggregate(r.id, r.counts ?? {}, r.failures ?? []) : undefined),
    ),
  );
  return { items };
}

/** One run by id. */
export async function get(runId: string): Promise<JobRunView | undefined> {
  const r = (await db().entities.jobRun.get({ id: runId }).go({ consistent: true })).data;
  return r ? toView(r) : undefined;
}

type JobRunItem = EntityItem<typeof JobRunEntity>;

function toView(r: JobRunItem, live?: { counts: Record<string, number>; failures: Failure[] }): JobRunView {
  return {
    id: r.id,
    kind: r.job,
    trigger: r.trigger,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt ?? null,
    status: r.status,
    note: r.note ?? null,
    durationMs: r.finishedAt ? Date.parse(r.finishedAt) - Date.parse(r.startedAt) : null,
    counts: live?.counts ?? r.counts ?? {},
    failures: live?.failures ?? r.failures ?? [],
    parts: { sent: r.parts ?? null, done: r.partsDone ?? 0 },
  };
}
