import type { OpsCommand } from "../program";
import { table } from "../table";

interface QueueDepth {
  queue: string;
  visible: number;
  inFlight: number;
  delayed: number;
  deadLetters: number;
}

/** `ops queues`: every queue's depth and its DLQ's. */
export const queuesCommand: OpsCommand = (program, ctx) => {
  program
    .command("queues")
    .description("messages visible, in flight and delayed per queue, and its DLQ's depth")
    .action(async () => {
      const { call, json, out } = ctx();
      const { items } = await call<{ items: QueueDepth[] }>("GET", "/v1/ops/queues");
      if (json) return out(JSON.stringify(items, null, 2));
      out(
        table(
          ["queue", "visible", "in flight", "delayed", "dead letters"],
          items.map((q) => [q.queue, q.visible, q.inFlight, q.delayed, q.deadLetters]),
        ),
      );
    });
};
