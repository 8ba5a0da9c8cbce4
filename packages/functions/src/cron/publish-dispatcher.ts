import "../secrets";
import { schedules } from "@studio/core/config/jobs";
import { emitMetric } from "@studio/core/ops/metrics";
import { countUnconfirmed } from "@studio/core/ops/unconfirmed";
import { logger } from "@studio/core/util/logger";
import type { Context } from "aws-lambda";
import { runSchedule } from "./schedules";

/**
 * Every minute: due posts to the queue (with their delay), expired leases to reconciliation;
 * then the count of unconfirmed posts as a metric (the UnconfirmedPosts alarm).
 */
export const handler = async (_event: unknown, context?: Context) => {
  const remaining = context?.getRemainingTimeInMillis?.() ?? schedules.publishDispatcher.timeoutSeconds * 1000;
  try {
    await runSchedule("publishDispatcher", { trigger: "schedule", budgetMs: Math.max(1_000, remaining - 8_000) });
  } finally {
    await countUnconfirmed()
      .then((n) => emitMetric("unconfirmedPosts", n))
      .catch((err) => logger.warn("could not count unconfirmed posts", { error: String(err) }));
  }
};
