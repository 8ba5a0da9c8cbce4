import { schedules } from "../config/jobs";
import { db } from "../db/service";
import * as JobRun from "../job-run/job-run";
import type { CompetitorsMessage } from "../queue/messages";
import { sendMessages } from "../queue/sqs";
import { eachPage } from "../util/pages";
import { forEachWorkspacePage } from "../workspace/all-workspaces";

/**
 * The daily competitors refresh: one message per competitor of every workspace. The run
 * finishes when every competitor's message has reported its part.
 *
 * @example
 * const { runId } = await fanOutCompetitors("schedule");
 */
export async function fanOutCompetitors(trigger: JobRun.Trigger, now = Date.now()): Promise<{ runId: string }> {
  const run = await JobRun.start(schedules.competitorsRefresh.name, trigger, now);
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
