import { schedules } from "../config/jobs";
import { db } from "../db/service";
import * as JobRun from "../job-run/job-run";
import { runSlot } from "../job-run/slot";
import type { MetricsMessage } from "../queue/messages";
import { sendMessages } from "../queue/sqs";
import { eachPage } from "../util/pages";
import { forEachWorkspacePage } from "../workspace/all-workspaces";

/** The refresh runs every 6 hours: a scheduled run's slot is the start of its 6-hour window. */
const SLOT_MS = 6 * 3_600_000;

/**
 * The slot a run's snapshots are keyed by. A scheduled run (EventBridge may fire one twice)
 * takes the start of its 6-hour window, so two firings of one window write one snapshot per
 * post; a run fired by hand is a run of its own (its start instant and id).
 *
 * @example
 * slotOf("schedule", Date.parse("2026-11-28T13:05:00Z"), "run_1") // "2026-11-28T12:00:00.000Z"
 */
export function slotOf(trigger: JobRun.Trigger, now: number, runId: string): string {
  return runSlot(trigger, now, runId, SLOT_MS);
}

/**
 * The metrics refresh schedule: one message per `active` account of every workspace (never one
 * Lambda walking every account's posts), all carrying the run and its slot. The run finishes
 * when every account's message has reported its part.
 *
 * @example
 * const { runId } = await fanOutMetrics("manual");
 */
export async function fanOutMetrics(trigger: JobRun.Trigger, now = Date.now()): Promise<{ runId: string }> {
  const run = await JobRun.start(schedules.metricsRefresh.name, trigger, now);
  const slot = slotOf(trigger, now, run.runId);
  let accounts = 0;
  let skipped = 0;
  await forEachWorkspacePage(async (workspaces) => {
    for (const w of workspaces) {
      await eachPage(
        (cursor) => db().entities.account.query.byWorkspace({ workspaceId: w.id }).go({ cursor, limit: 200 }),
        async (page) => {
          const active = page.filter((a) => a.status === "active");
          skipped += page.length - active.length;
          const messages = active.map((a) => ({
            body: {
              kind: "metrics",
              workspaceId: w.id,
              accountId: a.id,
              runId: run.runId,
              slot,
            } satisfies MetricsMessage,
          }));
          await sendMessages("metrics", messages);
          accounts += messages.length;
        },
      );
    }
  });
  await JobRun.fannedOut(run, accounts, { counts: { accounts, accountsNotActive: skipped } });
  return run;
}
