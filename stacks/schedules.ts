import { type ScheduleKind, schedules } from "@studio/core/config/jobs";
import { Cron, type StackContext, use } from "sst/constructs";
import { Queues } from "./queues";

/**
 * One EventBridge rule per entry of `schedules` (packages/core/src/config/jobs.ts), with
 * exactly its expression (UTC), each invoking its handler with the shared runtime settings.
 */
export function Schedules({ stack }: StackContext) {
  const { runtime } = use(Queues);
  const crons = {} as Record<ScheduleKind, Cron>;
  for (const spec of Object.values(schedules)) {
    crons[spec.name] = new Cron(stack, spec.name, {
      schedule: spec.expression as `cron(${string})`,
      job: { function: { ...runtime, handler: spec.handler, timeout: spec.timeoutSeconds } },
    });
  }
  return { crons };
}
