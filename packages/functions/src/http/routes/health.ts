import { createRoute, z } from "@hono/zod-openapi";
import { checkHealth } from "@studio/core/ops/health";
import { router } from "../router";
import { errors, json } from "../schemas";

const Health = z.object({
  status: z.enum(["ok", "unavailable"]),
  checks: z.object({ table: z.boolean(), queues: z.boolean() }),
});

export const health = router().openapi(
  createRoute({
    method: "get",
    path: "/health",
    operationId: "getHealth",
    tags: ["ops"],
    summary: "Whether the table and the queues answer",
    security: [],
    responses: {
      200: json(Health, "Table and queues answer."),
      429: errors[429],
      503: json(Health, "A dependency does not answer."),
    },
  }),
  async (c) => {
    const report = await checkHealth();
    return report.ok
      ? c.json({ status: "ok" as const, checks: report.checks }, 200)
      : c.json({ status: "unavailable" as const, checks: report.checks }, 503);
  },
);
