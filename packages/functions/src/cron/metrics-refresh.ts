import "../secrets";
import { runSchedule } from "./schedules";

/** Every 6 hours (UTC): one metrics message per active account (core/metrics/fanout.ts). */
export const handler = async () => {
  await runSchedule("metricsRefresh", { trigger: "schedule" });
};
