import { createRoute, z } from "@hono/zod-openapi";
import { accountSummary, postMetrics } from "@studio/core/metrics/read";
import { requireKey } from "../auth";
import { router } from "../router";
import { Cursor, errors, IdParam, json } from "../schemas";

const security = [{ bearerAuth: [] }];

const Values = z
  .object({
    impressions: z.number().optional(),
    reach: z.number().optional(),
    views: z.number().optional(),
    likes: z.number().optional(),
    comments: z.number().optional(),
    shares: z.number().optional(),
    saves: z.number().optional(),
  })
  .openapi("MetricValues", {
    description: "Only what the platform reported: a metric not reported is absent, never 0.",
  });

const SnapshotSchema = z.object({ capturedAt: z.string(), values: Values }).openapi("MetricsSnapshot");

const DaySchema = Values.extend({ date: z.string().openapi({ example: "2026-11-27" }), posts: z.number().int() });

export const metrics = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/posts/{id}/metrics",
      operationId: "getPostMetrics",
      tags: ["metrics"],
      summary: "A post's metric snapshots, oldest first",
      description:
        "One snapshot per refresh run (every 6 hours for 30 days after publication, and runs fired by hand).",
      security,
      middleware: requireKey(),
      request: {
        params: IdParam,
        query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(200), cursor: Cursor }),
      },
      responses: {
        200: json(z.object({ items: z.array(SnapshotSchema), nextCursor: z.string().nullable() }), "Snapshots."),
        ...errors,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      return c.json(await postMetrics(c.get("principal").workspaceId, id, c.req.valid("query")), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/accounts/{id}/metrics",
      operationId: "getAccountMetrics",
      tags: ["metrics"],
      summary: "An account's metrics over the last N days, by day in the workspace's time zone",
      description:
        "Each day: the posts published that day and the sum of their latest values; totals over the period. " +
        "Read from the daily roll-up (docs/data-model.md).",
      security,
      middleware: requireKey(),
      request: { params: IdParam, query: z.object({ days: z.coerce.number().int().min(1).max(90).default(7) }) },
      responses: {
        200: json(
          z.object({
            accountId: z.string(),
            timezone: z.string(),
            from: z.string(),
            to: z.string(),
            totals: Values.extend({ posts: z.number().int() }),
            days: z.array(DaySchema),
          }),
          "Totals and days.",
        ),
        ...errors,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      return c.json(await accountSummary(c.get("principal").workspaceId, id, c.req.valid("query").days), 200);
    },
  );
