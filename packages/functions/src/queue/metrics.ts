import { queues } from "@studio/core/config/jobs";
import { refreshAccountMetrics } from "@studio/core/metrics/refresh";
import { MetricsMessage } from "@studio/core/queue/messages";
import { sqsConsumer } from "./batch";

/** Metrics queue consumer: one account of one refresh run (core/metrics/refresh.ts). */
export const handler = sqsConsumer("metrics", MetricsMessage, async (message, record) =>
  refreshAccountMetrics(message, {
    receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1),
    maxReceiveCount: queues.metrics.maxReceiveCount,
  }),
);
