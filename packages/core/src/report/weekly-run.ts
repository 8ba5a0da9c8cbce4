import { schedules } from "../config/jobs";
import type { Trigger } from "../job-run/job-run";
import * as JobRun from "../job-run/job-run";
import { forEachWorkspacePage } from "../workspace/all-workspaces";

/**
 * The `weeklyReport` schedule's run, until weekly reports are built (a later issue): it counts
 * the workspaces a report would be built for and records the run `skipped`, with a note saying
 * that nothing was generated and why — never an `ok` run that did nothing. No message is sent to
 * the `report` queue.
 *
 * @example
 * const { runId } = await recordWeeklyReportSkipped("schedule"); // GET /v1/ops/jobs: status "skipped", note "…"
 */
export async function recordWeeklyReportSkipped(trigger: Trigger): Promise<{ runId: string }> {
  const { runId } = await JobRun.record(schedules.weeklyReport.name, trigger, async () => {
    let workspaces = 0;
    await forEachWorkspacePage(async (page) => {
      workspaces += page.length;
    });
    return {
      result: undefined,
      counts: { workspaces, reportsBuilt: 0 },
      skipped: `Weekly reports are not built yet: nothing was generated for ${workspaces} workspace${workspaces === 1 ? "" : "s"}.`,
    };
  });
  return { runId };
}
