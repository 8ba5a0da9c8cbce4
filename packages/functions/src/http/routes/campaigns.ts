import { createRoute, z } from "@hono/zod-openapi";
import * as Campaign from "@studio/core/campaign/campaign";
import { CAMPAIGN_PLAN_FEATURE, draftIdsOfPlan, planView, requestPlan } from "@studio/core/campaign/plan";
import * as Generation from "@studio/core/generation/generation";
import { PLATFORMS } from "@studio/core/platforms";
import { calendarDate } from "@studio/core/validation/index";
import { requireKey, WRITERS } from "../auth";
import { GenerationHeaders, generatingResponses, idempotencyKey, respondGenerating } from "../generation";
import { router } from "../router";
import { body, Cursor, errors, IdParam, json, Limit, page } from "../schemas";

const security = [{ bearerAuth: [] }];
const writers = requireKey(...WRITERS);
const readers = requireKey();

const fields = {
  name: z.string().trim().min(1).max(200),
  startsOn: calendarDate().openapi({ description: "First day (YYYY-MM-DD, workspace's zone).", example: "2026-12-01" }),
  endsOn: calendarDate().openapi({
    description: "Last day, included; at most 92 days after startsOn, not in the past.",
    example: "2026-12-31",
  }),
  goal: z.string().max(2_000),
  platforms: z.array(z.enum(PLATFORMS)).max(3),
};
const CreateCampaign = z
  .object({ ...fields, goal: fields.goal.optional(), platforms: fields.platforms.optional() })
  .strict();
const UpdateCampaign = z
  .object({
    name: fields.name.optional(),
    startsOn: fields.startsOn.optional(),
    endsOn: fields.endsOn.optional(),
    goal: fields.goal.nullable().optional(),
    platforms: fields.platforms.optional(),
  })
  .strict();

const CampaignSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    startsOn: z.string(),
    endsOn: z.string(),
    goal: z.string().nullable(),
    platforms: z.array(z.enum(PLATFORMS)),
    planIds: z.array(z.string()),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Campaign");

const CampaignPlanSchema = z
  .object({
    id: z.string(),
    campaignId: z.string(),
    status: z.enum(["generating", "ready", "failed"]),
    proposals: z.array(
      z.object({
        accountId: z.string(),
        platform: z.enum(PLATFORMS),
        scheduledFor: z.string(),
        caption: z.string(),
        hashtags: z.array(z.string()),
      }),
    ),
    draftPostIds: z.array(z.string()),
    lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("CampaignPlan");

const PlanParams = z.object({
  id: IdParam.shape.id,
  planId: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "planId", in: "path" } }),
});

/** Campaigns (api.md, second part): CRUD and planning drafts across the range through the LLM. */
export const campaigns = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/campaigns",
      operationId: "createCampaign",
      tags: ["campaigns"],
      summary: "Create a campaign",
      description: "400 campaign.invalid_range: startsOn after endsOn, more than 92 days, or ending in the past.",
      security,
      middleware: writers,
      request: { body: body(CreateCampaign) },
      responses: { 201: json(CampaignSchema, "Created."), ...errors },
    }),
    async (c) => c.json(await Campaign.create(c.get("principal").workspaceId, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/campaigns",
      operationId: "listCampaigns",
      tags: ["campaigns"],
      summary: "The workspace's campaigns",
      security,
      middleware: readers,
      request: { query: z.object({ limit: Limit, cursor: Cursor }) },
      responses: { 200: json(page(CampaignSchema), "A page of campaigns."), ...errors },
    }),
    async (c) => c.json(await Campaign.list(c.get("principal").workspaceId, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/campaigns/{id}",
      operationId: "getCampaign",
      tags: ["campaigns"],
      summary: "One campaign",
      security,
      middleware: readers,
      request: { params: IdParam },
      responses: { 200: json(CampaignSchema, "The campaign."), ...errors },
    }),
    async (c) => c.json(await Campaign.get(c.get("principal").workspaceId, c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/v1/campaigns/{id}",
      operationId: "updateCampaign",
      tags: ["campaigns"],
      summary: "Change a campaign",
      security,
      middleware: writers,
      request: { params: IdParam, body: body(UpdateCampaign) },
      responses: { 200: json(CampaignSchema, "The campaign."), ...errors },
    }),
    async (c) => {
      const { workspaceId } = c.get("principal");
      return c.json(await Campaign.update(workspaceId, c.req.valid("param").id, c.req.valid("json")), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/v1/campaigns/{id}",
      operationId: "deleteCampaign",
      tags: ["campaigns"],
      summary: "Delete a campaign and the drafts its plans created",
      description: "Posts of the campaign already scheduled or published stay. A plan still running stops.",
      security,
      middleware: writers,
      request: { params: IdParam },
      responses: { 204: { description: "Deleted." }, ...errors },
    }),
    async (c) => {
      await Campaign.remove(c.get("principal").workspaceId, c.req.valid("param").id, draftIdsOfPlan);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/campaigns/{id}/plan",
      operationId: "planCampaign",
      tags: ["campaigns"],
      summary: "Plan draft posts across the campaign (in the background)",
      description:
        "202 with the plan in status generating (and Location), or 201 with the settled plan when it finished within " +
        "Prefer: wait (200 for an idempotent retry of a settled one); when ready, every proposal is a draft linked by " +
        "campaignId, created once. Prefer: wait=N holds the answer up to N (≤ 20) seconds; a retry with the same " +
        "Idempotency-Key returns the same plan and never calls the LLM again.",
      security,
      middleware: writers,
      request: { params: IdParam, headers: GenerationHeaders },
      responses: { ...generatingResponses(CampaignPlanSchema, "campaign plan"), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const started = await requestPlan(c.get("principal").workspaceId, id, idempotencyKey(c));
      return respondGenerating(c, started, planView, `/v1/campaigns/${id}/plans/${started.generation.id}`);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/campaigns/{id}/plans/{planId}",
      operationId: "getCampaignPlan",
      tags: ["campaigns"],
      summary: "One plan of a campaign",
      security,
      middleware: readers,
      request: { params: PlanParams },
      responses: { 200: json(CampaignPlanSchema, "The plan."), ...errors },
    }),
    async (c) => {
      const { id, planId } = c.req.valid("param");
      const g = await Generation.get(
        c.get("principal").workspaceId,
        planId,
        CAMPAIGN_PLAN_FEATURE,
        "campaign.plan_not_found",
      );
      const view = planView(g);
      if (view.campaignId !== id)
        return c.json({ error: { code: "campaign.plan_not_found", message: "Not found.", details: null } }, 404);
      return c.json(view, 200);
    },
  );
