import "../secrets";
import { runTokenKeeper } from "@studio/core/account/keeper-run";
import { schedules } from "@studio/core/config/jobs";
import type { Context } from "aws-lambda";

/** Every 15 minutes: accounts whose tokens need a look, one message each to the tokens queue. */
export const handler = async (_event: unknown, context?: Context) => {
  const remaining = context?.getRemainingTimeInMillis?.() ?? schedules.tokenKeeper.timeoutSeconds * 1000;
  await runTokenKeeper({ budgetMs: Math.max(1_000, remaining - 5_000) });
};
