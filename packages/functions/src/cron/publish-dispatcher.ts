import "../secrets";
import { schedules } from "@studio/core/config/jobs";
import type { Context } from "aws-lambda";
import { runSchedule } from "./schedules";

/** Every minute: due posts to the queue (with their delay), expired leases to reconciliation. */
export const handler = async (_event: unknown, context?: Context) => {
  const remaining = context?.getRemainingTimeInMillis?.() ?? schedules.publishDispatcher.timeoutSeconds * 1000;
  await runSchedule("publishDispatcher", { trigger: "schedule", budgetMs: Math.max(1_000, remaining - 5_000) });
};
