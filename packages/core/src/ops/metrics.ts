import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { METRIC_NAMESPACE, studioMetrics } from "../config/alarms";
import { env } from "../config/env";
import { logger } from "../util/logger";

let metrics: Metrics | undefined;

/**
 * Studio's custom CloudWatch metrics, through Powertools Metrics (embedded metric format: one
 * JSON line CloudWatch turns into a metric, no API call). Emitted in AWS Lambda only; elsewhere
 * (the local runtime, tests) nothing is printed unless `POWERTOOLS_METRICS_DISABLED=false`.
 * Each call publishes at once, with the `stage` dimension the alarms select on.
 *
 * @example
 * emitMetric("unconfirmedPosts", 3);
 */
export function emitMetric(name: keyof typeof studioMetrics, value: number) {
  const inLambda = Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);
  if (!inLambda && process.env.POWERTOOLS_METRICS_DISABLED !== "false") return;
  try {
    metrics ??= new Metrics({ namespace: METRIC_NAMESPACE, serviceName: "studio" });
    metrics.addDimension("stage", env.stage());
    metrics.addMetric(studioMetrics[name], MetricUnit.Count, value);
    metrics.publishStoredMetrics();
  } catch (err) {
    logger.warn("could not emit a metric", { metric: name, error: String(err) });
  }
}
