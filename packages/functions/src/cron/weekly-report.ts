import "../secrets";
import { runSchedule } from "./schedules";

/** Mondays at 09:00 UTC. The report fan-out arrives with its issue; until then the run is recorded `skipped` with why. */
export const handler = async () => {
  await runSchedule("weeklyReport", { trigger: "schedule" });
};
