import { refreshCompetitor } from "@studio/core/competitor/refresh";
import { queues } from "@studio/core/config/jobs";
import { CompetitorsMessage } from "@studio/core/queue/messages";
import { sqsConsumer } from "./batch";

/** Competitors queue consumer: one competitor of one daily run (core/competitor/refresh.ts). */
export const handler = sqsConsumer("competitors", CompetitorsMessage, async (message, record) =>
  refreshCompetitor(message, {
    receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1),
    maxReceiveCount: queues.competitors.maxReceiveCount,
  }),
);
