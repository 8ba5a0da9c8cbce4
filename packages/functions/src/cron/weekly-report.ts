import "../secrets";
import { runSchedule } from "./schedules";

/** Mondays at 09:00 UTC. The report fan-out arrives with its issue; the run is recorded already. */
export const handler = async () => {
  await runSchedule("weeklyReport", { trigger: "schedule" });
};
