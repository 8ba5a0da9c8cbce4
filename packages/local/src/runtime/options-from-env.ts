import { schedules } from "@studio/core/config/jobs";
import type { RuntimeOptions, ScheduleOptions } from "./runtime";

/**
 * The local runtime's settings from the environment (and `--data`):
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `STUDIO_PORT` | API port | 3000 |
 * | `STUDIO_DATA_DIR` (or `--data <dir>`) | keep DynamoDB and SQS data on disk across restarts | in memory |
 * | `STUDIO_STAGE` | resource name prefix | `local` |
 * | `STUDIO_DISPATCHER_PERIOD_SECONDS` | run the publish dispatcher every N seconds instead of every minute | its cron |
 * | `STUDIO_SCHEDULE_PERIODS` | same for any schedule: `metricsRefresh=30,weeklyReport=120` (seconds) | their crons |
 * | `STUDIO_SCHEDULES` | `all`, `none`, or a comma list of schedule names to run | `all` |
 * | `STUDIO_ADMIN_TOKEN` | operator token | generated, printed at start |
 * | `STUDIO_INSTAGRAM_API_URL` … | use that platform instead of starting its simulator | simulators |
 *
 * @example
 * const options = runtimeOptionsFromEnv(process.env, { dataDir: "./.data" });
 */
export function runtimeOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  flags: { dataDir?: string; port?: number } = {},
): RuntimeOptions {
  const names = Object.keys(schedules);
  const periodSeconds: Record<string, number> = {};
  for (const pair of (env.STUDIO_SCHEDULE_PERIODS ?? "").split(",").filter(Boolean)) {
    const [name, value] = pair.split("=").map((s) => s.trim());
    if (!name || !names.includes(name))
      throw new Error(`STUDIO_SCHEDULE_PERIODS: unknown schedule "${name}" (${names.join(", ")})`);
    periodSeconds[name] = positive("STUDIO_SCHEDULE_PERIODS", value);
  }
  if (env.STUDIO_DISPATCHER_PERIOD_SECONDS) {
    periodSeconds.publishDispatcher = positive(
      "STUDIO_DISPATCHER_PERIOD_SECONDS",
      env.STUDIO_DISPATCHER_PERIOD_SECONDS,
    );
  }
  const which = (env.STUDIO_SCHEDULES ?? "all").trim();
  let scheduleOptions: false | ScheduleOptions;
  if (which === "none") scheduleOptions = false;
  else if (which === "all") scheduleOptions = { periodSeconds };
  else {
    const only = which.split(",").map((s) => s.trim());
    for (const n of only) if (!names.includes(n)) throw new Error(`STUDIO_SCHEDULES: unknown schedule "${n}"`);
    scheduleOptions = { only, periodSeconds };
  }
  return {
    port: flags.port ?? (env.STUDIO_PORT ? positive("STUDIO_PORT", env.STUDIO_PORT, true) : 3000),
    dataDir: flags.dataDir ?? (env.STUDIO_DATA_DIR || undefined),
    stage: env.STUDIO_STAGE || "local",
    schedules: scheduleOptions,
  };
}

function positive(name: string, value: string | undefined, allowZero = false): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0))
    throw new Error(`${name}: "${value}" is not a positive number`);
  return n;
}
