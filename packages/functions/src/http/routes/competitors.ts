import { createRoute, z } from "@hono/zod-openapi";
import * as Competitor from "@studio/core/competitor/competitor";
import { COMPETITOR_STATUSES } from "@studio/core/competitor/competitor.entity";
import { PLATFORMS } from "@studio/core/platforms";
import { requireKey, WRITERS } from "../auth";
import { router } from "../router";
import { body, Cursor, errors, IdParam, json, Limit, page } from "../schemas";

const security = [{ bearerAuth: [] }];

const CompetitorSchema = z
  .object({
    id: z.string(),
    platform: z.enum(PLATFORMS),
    handle: z.string(),
    status: z.enum(COMPETITOR_STATUSES),
    statusReason: z.string().nullable(),
    lastRefreshedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("Competitor");

const Snapshot = z
  .object({
    capturedAt: z.string(),
    values: z
      .object({
        followers: z.number().optional(),
        posts: z.number().optional(),
        avgLikes: z.number().optional(),
        avgComments: z.number().optional(),
      })
      .openapi({ description: "Only what the platform gave: unknown values are absent." }),
  })
  .openapi("CompetitorSnapshot");

export const competitors = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/competitors",
      operationId: "createCompetitor",
      tags: ["competitors"],
      summary: "Track a competitor (refreshed daily)",
      security,
      middleware: requireKey(...WRITERS),
      request: {
        body: body(z.object({ platform: z.enum(PLATFORMS), handle: z.string().min(1).max(101) })),
      },
      responses: {
        201: json(CompetitorSchema, "Tracked: pending until the next refresh (TikTok: unsupported)."),
        ...errors,
      },
    }),
    async (c) => c.json(await Competitor.create(c.get("principal").workspaceId, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/competitors",
      operationId: "listCompetitors",
      tags: ["competitors"],
      summary: "The workspace's competitors",
      security,
      middleware: requireKey(),
      request: { query: z.object({ limit: Limit, cursor: Cursor }) },
      responses: { 200: json(page(CompetitorSchema), "A page of competitors."), ...errors },
    }),
    async (c) => c.json(await Competitor.list(c.get("principal").workspaceId, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/competitors/{id}",
      operationId: "getCompetitor",
      tags: ["competitors"],
      summary: "One competitor",
      security,
      middleware: requireKey(),
      request: { params: IdParam },
      responses: { 200: json(CompetitorSchema, "The competitor."), ...errors },
    }),
    async (c) => c.json(await Competitor.get(c.get("principal").workspaceId, c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/v1/competitors/{id}",
      operationId: "deleteCompetitor",
      tags: ["competitors"],
      summary: "Stop tracking a competitor",
      security,
      middleware: requireKey(...WRITERS),
      request: { params: IdParam },
      responses: { 204: { description: "Deleted." }, ...errors },
    }),
    async (c) => {
      await Competitor.remove(c.get("principal").workspaceId, c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/competitors/{id}/metrics",
      operationId: "getCompetitorMetrics",
      tags: ["competitors"],
      summary: "A competitor's daily snapshots, oldest first",
      security,
      middleware: requireKey(),
      request: {
        params: IdParam,
        query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(200), cursor: Cursor }),
      },
      responses: {
        200: json(z.object({ items: z.array(Snapshot), nextCursor: z.string().nullable() }), "Snapshots."),
        ...errors,
      },
    }),
    async (c) =>
      c.json(
        await Competitor.metrics(c.get("principal").workspaceId, c.req.valid("param").id, c.req.valid("query")),
        200,
      ),
  );
