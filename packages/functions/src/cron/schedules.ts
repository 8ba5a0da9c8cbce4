import { fanOutTokenKeeper } from "@studio/core/account/keeper";
import { fanOutCompetitors } from "@studio/core/competitor/fanout";
import type { ScheduleKind } from "@studio/core/config/jobs";
import type * as JobRun from "@studio/core/job-run/job-run";
import { fanOutMetrics } from "@studio/core/metrics/fanout";
import { runDispatcher } from "@studio/core/publish/dispatcher";
import { recordWeeklyReportSkipped } from "@studio/core/report/weekly-run";

export interface RunOptions {
  trigger: JobRun.Trigger;
  /** Time the run may take itself (the dispatcher's page loop); fan-outs finish in their queue. */
  budgetMs?: number;
}

/**
 * What each schedule runs, by name: the one table both the cron handlers and
 * `POST /v1/ops/schedules/{name}/run` use. Every entry records a job run through core's job-run.ts
 * and answers its id. A new schedule: its entry in config/jobs.ts, its core function here, and a
 * cron handler calling `runSchedule(name, …)`.
 *
 * @example
 * const { runId } = await runSchedule("metricsRefresh", { trigger: "manual" });
 */
export const scheduleRunners: Record<ScheduleKind, (opts: RunOptions) => Promise<{ runId: string }>> = {
  publishDispatcher: async ({ trigger, budgetMs }) => runDispatcher({ trigger, budgetMs }),
  tokenKeeper: ({ trigger, budgetMs }) => fanOutTokenKeeper(trigger, { budgetMs }),
  metricsRefresh: ({ trigger }) => fanOutMetrics(trigger),
  competitorsRefresh: ({ trigger }) => fanOutCompetitors(trigger),
  // The weekly report's fan-out belongs to its own issue; until then each run is recorded
  // `skipped`, saying so (not an `ok` run with nothing in it).
  weeklyReport: ({ trigger }) => recordWeeklyReportSkipped(trigger),
};

export const runSchedule = (name: ScheduleKind, opts: RunOptions) => scheduleRunners[name](opts);
