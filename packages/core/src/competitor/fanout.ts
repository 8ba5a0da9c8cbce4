import { schedules } from "../config/jobs";
import { db } from "../db/service";
import * as JobRun from "../job-run/job-run";
import { runSlot } from "../job-run/slot";
import type { CompetitorsMessage } from "../queue/messages";
import { sendMessages } from "../queue/sqs";
import { eachPage } from "../util/pages";
import { forEachWorkspacePage } from "../workspace/all-workspaces";

/**
 * The daily competitors refresh: one message per competitor of every workspace, each carrying
 * the run and its slot (the key of the run's snapshot). The run finishes when every
 * competitor's message has reported its part.
 *
 * @example
 * const { runId } = await fanOutCompetitors("schedule");
 */
export async function fanOutCompetitors(trigger: JobRun.Trigger, now = Date.now()): Promise<{ runId: string }> {
  const run = await JobRun.start(schedules.competitorsRefresh.name, trigger, now);
  // The schedule is daily: its firings of one day share a slot; a run by hand is its own.
  const slot = runSlot(trigger, now, run.runId, 86_400_000);
  let competitors = 0;
  await forEachWorkspacePage(async (workspaces) => {
    for (const w of workspaces) {
      await eachPage(
        (cursor) => db().entities.competitor.query.byWorkspace({ workspaceId: w.id }).go({ cursor, limit: 200 }),
        async (page) => {
          const messages = page.map((c) => ({
            body: {
              kind: "competitors",
              workspaceId: w.id,
              competitorId: c.id,
              runId: run.runId,
              slot,
            } satisfies CompetitorsMessage,
          }));
          await sendMessages("competitors", messages);
          competitors += messages.length;
        },
      );
    }
  });
  await JobRun.fannedOut(run, competitors, { counts: { competitors } });
  return run;
}
