import "../secrets";
import { schedules } from "@studio/core/config/jobs";
import type { Context } from "aws-lambda";
import { runSchedule } from "./schedules";

/** Every 15 minutes: accounts whose tokens need a look, one message each (core/account/keeper.ts). */
export const handler = async (_event: unknown, context?: Context) => {
  const remaining = context?.getRemainingTimeInMillis?.() ?? schedules.tokenKeeper.timeoutSeconds * 1000;
  await runSchedule("tokenKeeper", { trigger: "schedule", budgetMs: Math.max(1_000, remaining - 5_000) });
};
