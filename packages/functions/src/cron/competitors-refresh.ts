import "../secrets";
import { runSchedule } from "./schedules";

/** Daily at 00:00 UTC: one message per competitor (core/competitor/fanout.ts). */
export const handler = async () => {
  await runSchedule("competitorsRefresh", { trigger: "schedule" });
};
