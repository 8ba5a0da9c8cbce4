import { createRoute, z } from "@hono/zod-openapi";
import * as Plan from "@studio/core/plan/plan";
import { PLATFORMS } from "@studio/core/platforms";
import { requireKey, WRITERS } from "../auth";
import { GenerationHeaders, generatingResponses, idempotencyKey, respondGenerating } from "../generation";
import { router } from "../router";
import { body, CalendarDate, Cursor, errors, IdParam, json, LastError, Limit, llmErrors, page } from "../schemas";

const security = [{ bearerAuth: [] }];

const CreatePlan = z
  .object({
    weekStart: CalendarDate.optional().openapi({
      description: "A Monday (YYYY-MM-DD) in the workspace's time zone; default: next week.",
    }),
    platforms: z.array(z.enum(PLATFORMS)).min(1).max(3).optional(),
    postsPerWeek: z.number().int().min(1).max(21).optional().openapi({ description: "Default 5." }),
    notes: z.string().trim().max(1_000).optional(),
  })
  .strict();

const ProposalSchema = z.object({
  accountId: z.string(),
  platform: z.enum(PLATFORMS),
  scheduledFor: z.string(),
  mediaType: z.enum(["image", "video", "text"]),
  topic: z.string(),
  caption: z.string(),
  hashtags: z.array(z.string()),
  rationale: z.string(),
  postId: z.string().openapi({ description: "The draft made from this proposal (once the plan is ready)." }),
});

const PlanSchema = z
  .object({
    id: z.string(),
    weekStart: z.string(),
    timezone: z.string(),
    status: z.enum(["generating", "ready", "failed"]),
    proposals: z.array(ProposalSchema),
    draftPostIds: z.array(z.string()),
    dropped: z
      .array(z.object({ proposal: ProposalSchema.omit({ postId: true }), reasons: z.array(z.string()) }))
      .openapi({ description: "Proposals that broke a rule after the one repair, with why." }),
    summary: z.string().nullable(),
    notes: z.array(z.string()).openapi({ description: "e.g. defaults used for a missing brand profile." }),
    usage: z
      .object({
        calls: z.number().int(),
        promptTokens: z.number().int(),
        completionTokens: z.number().int(),
        costUsd: z.number(),
        repaired: z.boolean(),
      })
      .nullable(),
    lastError: LastError,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("WeeklyPlan");

export const plans = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/plans",
      operationId: "createPlan",
      tags: ["llm"],
      summary: "Generate a weekly plan (in the background): every proposal becomes a draft, once",
      security,
      middleware: requireKey(...WRITERS),
      request: { headers: GenerationHeaders, body: body(CreatePlan) },
      responses: {
        ...generatingResponses(PlanSchema, "plan"),
        ...errors,
        ...llmErrors,
      },
    }),
    async (c) => {
      const started = await Plan.request(c.get("principal").workspaceId, c.req.valid("json"), idempotencyKey(c));
      return respondGenerating(c, started, Plan.toView, `/v1/plans/${started.generation.id}`);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/plans/{id}",
      operationId: "getPlan",
      tags: ["llm"],
      summary: "One weekly plan",
      security,
      middleware: requireKey(),
      request: { params: IdParam },
      responses: { 200: json(PlanSchema, "The plan."), ...errors },
    }),
    async (c) => c.json(await Plan.get(c.get("principal").workspaceId, c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/plans",
      operationId: "listPlans",
      tags: ["llm"],
      summary: "The workspace's weekly plans, newest first",
      security,
      middleware: requireKey(),
      request: { query: z.object({ limit: Limit, cursor: Cursor }) },
      responses: { 200: json(page(PlanSchema), "A page of plans."), ...errors },
    }),
    async (c) => c.json(await Plan.list(c.get("principal").workspaceId, c.req.valid("query")), 200),
  );
