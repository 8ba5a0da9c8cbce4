import { createRoute, z } from "@hono/zod-openapi";
import { operatorConditions } from "@studio/core/ops/conditions";
import { requireAdmin } from "../auth";
import { router } from "../router";
import { errors, json } from "../schemas";

const Condition = z
  .object({
    name: z.string().openapi({ description: "The alarm's name in stacks/alarms.ts, without the stage prefix." }),
    ok: z.boolean(),
    value: z.number().nullable(),
    threshold: z.number(),
    detail: z.string(),
  })
  .openapi("OperatorCondition");

export const opsHealth = router().openapi(
  createRoute({
    method: "get",
    path: "/v1/ops/health",
    operationId: "getOperatorConditions",
    tags: ["ops"],
    summary: "The conditions Studio's alarms watch, as the system sees them now (admin)",
    description:
      "Dead letters per queue, the publish backlog, failed dispatcher runs and lease sweeps, failed scheduled jobs, unconfirmed posts. Always 200: `ok` is false when any condition is over its threshold.",
    security: [{ bearerAuth: [] }],
    middleware: requireAdmin(),
    responses: {
      200: json(z.object({ ok: z.boolean(), conditions: z.array(Condition) }), "Every condition."),
      ...errors,
    },
  }),
  async (c) => c.json(await operatorConditions(), 200),
);
