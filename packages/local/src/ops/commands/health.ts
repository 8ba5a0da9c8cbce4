import { CliError, EXIT } from "../client";
import type { OpsCommand } from "../program";
import { table } from "../table";

interface Condition {
  name: string;
  ok: boolean;
  value: number | null;
  threshold: number;
  detail: string;
}

/**
 * `ops health`: the conditions Studio's CloudWatch alarms watch (stacks/alarms.ts), as the
 * running system sees them now — dead letters, the publish backlog, failed dispatcher runs and
 * lease sweeps, failed scheduled jobs, unconfirmed posts. Exit code 1 when any is over its
 * threshold, so a script or a cron can page on it.
 */
export const healthCommand: OpsCommand = (program, ctx) => {
  program
    .command("health")
    .description(
      "what the alarms watch, now: dead letters, publish backlog, dispatcher/sweep/job failures, unconfirmed posts",
    )
    .action(async () => {
      const { call, json, out } = ctx();
      const report = await call<{ ok: boolean; conditions: Condition[] }>("GET", "/v1/ops/health");
      if (json) out(JSON.stringify(report, null, 2));
      else {
        out(
          table(
            ["condition", "state", "value", "alarm at", "detail"],
            report.conditions.map((c) => [c.name, c.ok ? "ok" : "ALARM", c.value ?? "–", c.threshold, c.detail]),
          ),
        );
        out(report.ok ? "all ok" : `${report.conditions.filter((c) => !c.ok).length} condition(s) in alarm`);
      }
      if (!report.ok) throw new CliError("at least one condition is in alarm", EXIT.failed);
    });
};
