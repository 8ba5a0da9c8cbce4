import { setTimeout as sleep } from "node:timers/promises";
import { Argument } from "commander";
import { CliError } from "../client";
import { type OpsCommand, positiveInt } from "../program";
import { table } from "../table";

/** The schedules of config/jobs.ts (the API validates too: a new one works before it is listed here). */
const SCHEDULES = ["publishDispatcher", "metricsRefresh", "competitorsRefresh", "weeklyReport"];

interface JobRun {
  id: string;
  kind: string;
  trigger: string;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  note?: string | null;
  durationMs: number | null;
  counts: Record<string, number>;
  failures: Array<{ ref: string; reason: string }>;
  parts: { sent: number | null; done: number };
}

const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");

const seconds = (ms: number | null) => (ms === null ? "" : `${(ms / 1000).toFixed(1)}s`);

/** `ops jobs` (recent runs) and `ops run <schedule>` (fire one now, optionally wait for it). */
export const jobsCommand: OpsCommand = (program, ctx) => {
  program
    .command("jobs")
    .description("recent job runs, newest first: status, duration, fan-out progress, counts")
    .option("--kind <schedule>", `only this schedule (${SCHEDULES.join(", ")})`)
    .option("--limit <n>", "how many (1-200)", positiveInt, 20)
    .option("--failures", "also list each run's failures with their reasons", false)
    .action(async (o: { kind?: string; limit: number; failures: boolean }) => {
      const { call, json, out } = ctx();
      const q = new URLSearchParams({ limit: String(o.limit) });
      if (o.kind) q.set("kind", o.kind);
      const { items } = await call<{ items: JobRun[] }>("GET", `/v1/ops/jobs?${q}`);
      if (json) return out(JSON.stringify(items, null, 2));
      if (!items.length) return out("no job runs");
      out(
        table(
          ["run", "kind", "trigger", "started", "status", "took", "parts", "failures", "counts"],
          items.map((r) => [
            r.id,
            r.kind,
            r.trigger,
            r.startedAt,
            r.status,
            seconds(r.durationMs),
            r.parts.sent === null ? "" : `${r.parts.done}/${r.parts.sent}`,
            r.failures.length,
            counts(r.counts),
          ]),
        ),
      );
      if (o.failures) {
        const rows = items.flatMap((r) => r.failures.map((f) => [r.id, f.ref, f.reason]));
        if (rows.length) out(`\n${table(["run", "what", "reason"], rows)}`);
      }
    });

  program
    .command("run")
    .description("fire a schedule now (a run of its own); --wait follows it until its fan-out finished")
    .addArgument(new Argument("<schedule>", "the schedule's name").choices(SCHEDULES))
    .option("--wait", "wait until the run finished; exit 1 unless it ended ok", false)
    .option("--timeout <seconds>", "give up waiting after this long", positiveInt, 600)
    .action(async (schedule: string, o: { wait: boolean; timeout: number }) => {
      const { call, json, out } = ctx();
      const { runId } = await call<{ runId: string }>("POST", `/v1/ops/schedules/${schedule}/run`);
      if (!o.wait) return out(json ? JSON.stringify({ runId }) : `started ${schedule}: ${runId}`);
      const until = Date.now() + o.timeout * 1000;
      for (;;) {
        const { items } = await call<{ items: JobRun[] }>("GET", `/v1/ops/jobs?kind=${schedule}&limit=20`);
        const run = items.find((r) => r.id === runId);
        if (run?.finishedAt) {
          out(
            json
              ? JSON.stringify(run, null, 2)
              : `${schedule} ${runId}: ${run.status} in ${seconds(run.durationMs)} ${counts(run.counts)}`,
          );
          if (run.status !== "ok")
            throw new CliError(`run ${runId} ended ${run.status}${run.note ? `: ${run.note}` : ""}`);
          return;
        }
        if (Date.now() > until) throw new CliError(`run ${runId} still running after ${o.timeout}s`);
        await sleep(1_000);
      }
    });
};
