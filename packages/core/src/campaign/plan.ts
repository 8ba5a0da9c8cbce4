import { z } from "zod";
import { db } from "../db/service";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import * as Generation from "../generation/generation";
import { childId, type GenerationItem } from "../generation/generation";
import type { Generator } from "../generation/generator";
import { generateObject } from "../llm/generate";
import { definePrompt, inputBlock } from "../llm/prompt";
import { assertBudget } from "../llm/usage";
import { PLATFORMS, type Platform } from "../platforms";
import { UNSCHEDULED } from "../post/post.entity";
import { addCalendarMonths, CAPTION_LIMITS, MAX_MONTHS_AHEAD } from "../post/rules";
import { nowIso } from "../util/time";
import { addDays, dayStartUtc } from "../util/zone";
import * as Workspace from "../workspace/workspace";
import { type CampaignItem, deleteDraft, load, MAX_PLANS } from "./campaign";

/** The generation feature that plans a campaign (generation/registry.ts). */
export const CAMPAIGN_PLAN_FEATURE = "campaignPlan";
/** Drafts one plan proposes at most. */
export const MAX_PLAN_POSTS = 30;

const Proposal = z.object({
  accountId: z.string(),
  platform: z.enum(PLATFORMS),
  scheduledFor: z.string(),
  caption: z.string(),
  hashtags: z.array(z.string()),
});
export type CampaignProposal = z.infer<typeof Proposal>;

export const campaignPlanPrompt = definePrompt({
  entryPoint: "campaignPlan",
  name: "campaign_plan",
  version: "1",
  schema: z.object({ posts: z.array(Proposal) }),
  system:
    "You plan a social-media campaign. Propose `count` posts spread over the campaign's window (ISO instants " +
    "inside window.start and window.end), each for one of the given accounts (copy its accountId and platform), " +
    "with a caption in the brand's voice that serves the campaign's goal and a few hashtags. Captions must fit " +
    "the platform (Instagram and TikTok 2,200 characters, Facebook 63,206).",
  user: (input: Record<string, unknown>) => inputBlock(input),
  trimOrder: ["brandProfile"],
});

/** What a campaign plan stores: its proposals (checkpointed before any draft) and its drafts. */
export interface CampaignPlanOutput {
  campaignId: string;
  proposals: CampaignProposal[];
  draftPostIds: string[];
}

export interface CampaignPlanView {
  id: string;
  campaignId: string;
  status: GenerationItem["status"];
  proposals: CampaignProposal[];
  draftPostIds: string[];
  lastError: { code: string; message: string } | null;
  createdAt: string;
  updatedAt: string;
}

export function planView(g: GenerationItem): CampaignPlanView {
  const output = g.output as Partial<CampaignPlanOutput> | undefined;
  return {
    id: g.id,
    campaignId: (g.input as { campaignId: string }).campaignId,
    status: g.status,
    proposals: output?.proposals ?? [],
    draftPostIds: g.status === "ready" ? (output?.draftPostIds ?? []) : [],
    lastError: g.lastError?.code ? { code: g.lastError.code, message: g.lastError.message ?? "" } : null,
    createdAt: g.createdAt,
    updatedAt: g.updatedAt,
  };
}

/**
 * Accepts a plan of a campaign (404 `campaign.not_found` when it is gone, 409
 * `campaign.plan_limit` after MAX_PLANS plans): starts the background generation, which the
 * `llm` queue runs (campaignPlanGenerator). With an Idempotency-Key, a retry returns the same
 * plan and never calls the LLM again.
 *
 * @example
 * const g = await requestPlan(ws, campaignId, idempotencyKey);
 */
export async function requestPlan(
  workspaceId: string,
  campaignId: string,
  idempotencyKey?: string,
): Promise<Generation.Started> {
  const campaign = await load(workspaceId, campaignId);
  // A spent budget is said at once (429 llm.budget_exceeded), not after a background run.
  await assertBudget(workspaceId, (await Workspace.get(workspaceId)).llmMonthlyBudgetUsd);
  if ((campaign.planIds?.length ?? 0) >= MAX_PLANS && !idempotencyKey) {
    throw new ConflictError("campaign.plan_limit", `A campaign can be planned at most ${MAX_PLANS} times.`);
  }
  return Generation.start({
    workspaceId,
    feature: CAMPAIGN_PLAN_FEATURE,
    prefix: "cplan",
    input: { campaignId: campaign.id },
    idempotencyKey,
  });
}

/** The plan's n-th draft: the same id on every run of the same plan, so each draft is created once. */
export const draftId = (planId: string, n: number) => childId("post", planId, String(n));

/** The ids of every draft a plan has created or may create (from its checkpoint). */
export async function draftIdsOfPlan(planId: string): Promise<string[]> {
  const { data } = await db().entities.generation.get({ id: planId }).go({ consistent: true });
  const proposals = (data?.output as Partial<CampaignPlanOutput> | undefined)?.proposals ?? [];
  return proposals.map((_, n) => draftId(planId, n));
}

/** The message a plan ends with when its campaign is deleted before or while it runs. */
class CampaignGoneError extends NotFoundError {
  constructor(during: boolean) {
    super(
      "campaign.not_found",
      during
        ? "The campaign was deleted while it was being planned: the plan stopped and its drafts were removed."
        : "The campaign was deleted before it could be planned: no drafts were created.",
    );
  }
}

/**
 * Plans a campaign in the background (generation/README.md), with the weekly planner's
 * guarantees: the proposals are checkpointed before any draft is created, a retry resumes from
 * the checkpoint (never a second LLM call), and each draft has a deterministic id, created once.
 * Each draft is created in one transaction with a check that the campaign is still `active`
 * and lists this plan, so a campaign deleted before or during planning stops the plan (it ends
 * `failed` with `campaign.not_found`, saying so) and no draft outlives it: drafts created before
 * the deletion are removed by the deletion or by this plan, whichever comes last.
 */
export const campaignPlanGenerator: Generator = {
  async run(g, ctx) {
    const { campaignId } = g.input as { campaignId: string };
    const checkpoint = g.output as CampaignPlanOutput | undefined;
    const campaign = await registerPlan(g.workspaceId, campaignId, g.id, Boolean(checkpoint));
    let proposals = checkpoint?.proposals;
    if (!proposals) {
      proposals = await propose(g, campaign, ctx.deadline, ctx.signal);
      await ctx.checkpoint({ campaignId, proposals, draftPostIds: [] } satisfies CampaignPlanOutput);
    }
    const draftPostIds: string[] = [];
    for (const [n, p] of proposals.entries()) {
      const id = draftId(g.id, n);
      const created = await createDraft(g, campaign, id, p);
      if (!created) {
        for (const made of [...draftPostIds, id]) await deleteDraft(made, campaignId);
        throw new CampaignGoneError(true);
      }
      draftPostIds.push(id);
    }
    return { campaignId, proposals, draftPostIds } satisfies CampaignPlanOutput;
  },
};

/**
 * Lists the plan on its campaign (conditional: the campaign is active and has room), so the
 * campaign's deletion knows every plan whose drafts it must remove. 404 when it is gone.
 */
async function registerPlan(workspaceId: string, campaignId: string, planId: string, resumed: boolean) {
  const { data: campaign } = await db().entities.campaign.get({ workspaceId, id: campaignId }).go({ consistent: true });
  if (campaign?.status !== "active") throw new CampaignGoneError(resumed);
  if (campaign.planIds?.includes(planId)) return campaign;
  if ((campaign.planIds?.length ?? 0) >= MAX_PLANS) {
    throw new ConflictError("campaign.plan_limit", `A campaign can be planned at most ${MAX_PLANS} times.`);
  }
  try {
    const { data } = await db()
      .entities.campaign.patch({ workspaceId, id: campaignId })
      .append({ planIds: [planId] })
      .set({ version: campaign.version + 1 })
      .where((a, op) => `${op.eq(a.version, campaign.version)} AND ${op.eq(a.status, "active")}`)
      .go({ response: "all_new" });
    return data as CampaignItem;
  } catch {
    // Changed meanwhile (deleted, edited, another plan registered): decide again from a fresh read.
    return registerPlan(workspaceId, campaignId, planId, resumed);
  }
}

/** Asks the model once (plus its one repair) and keeps the proposals that keep every rule. */
async function propose(
  g: GenerationItem,
  campaign: CampaignItem,
  deadline: number,
  signal?: AbortSignal,
): Promise<CampaignProposal[]> {
  const workspace = await Workspace.get(g.workspaceId);
  const { data: accountItems } = await db()
    .entities.account.query.byWorkspace({ workspaceId: g.workspaceId })
    .go({ limit: 50, pages: 1 });
  const wanted = (campaign.platforms ?? []) as Platform[];
  const accounts = accountItems
    .filter((a) => a.status === "active" && (!wanted.length || wanted.includes(a.platform)))
    .map((a) => ({ accountId: a.id, platform: a.platform, handle: a.handle }));
  if (!accounts.length) {
    throw new ValidationError("campaign.no_accounts", "Connect an active account on the campaign's platforms first.");
  }
  const now = Date.now();
  const start = Math.max(Date.parse(dayStartUtc(campaign.startsOn, workspace.timezone)), now + 3_600_000);
  const end = Math.min(
    Date.parse(dayStartUtc(addDays(campaign.endsOn, 1), workspace.timezone)),
    addCalendarMonths(new Date(now), MAX_MONTHS_AHEAD).getTime(),
  );
  if (end <= start) throw new ValidationError("campaign.invalid_range", "Nothing of the campaign is left to plan.");
  const window = { start: nowIso(start), end: nowIso(end) };
  const days = Math.max(1, Math.round((end - start) / 86_400_000));
  const count = Math.min(MAX_PLAN_POSTS, Math.max(1, Math.ceil((days / 7) * 3)));
  const byId = new Map(accounts.map((a) => [a.accountId, a]));
  const broken = (p: CampaignProposal): string | undefined => {
    const account = byId.get(p.accountId);
    if (!account) return `${p.accountId} is not one of the given accounts`;
    if (account.platform !== p.platform) return `${p.accountId} is a ${account.platform} account, not ${p.platform}`;
    const at = Date.parse(p.scheduledFor);
    if (!Number.isFinite(at) || at < start || at >= end) return `${p.scheduledFor} is outside the window`;
    if ([...captionOf(p)].length > CAPTION_LIMITS[p.platform]) return `a ${p.platform} caption is too long`;
    return undefined;
  };
  const { data } = await generateObject({
    workspaceId: g.workspaceId,
    prompt: campaignPlanPrompt,
    input: {
      campaign: {
        name: campaign.name,
        goal: campaign.goal ?? null,
        startsOn: campaign.startsOn,
        endsOn: campaign.endsOn,
      },
      brandProfile: workspace.brandProfile ?? null,
      timezone: workspace.timezone,
      window,
      accounts,
      count,
    },
    check: (answer) => answer.posts.map(broken).filter((x): x is string => Boolean(x)),
    deadline,
    signal,
    resourceId: g.id,
    budgetUsd: workspace.llmMonthlyBudgetUsd,
  });
  return data.posts
    .filter((p) => !broken(p))
    .slice(0, MAX_PLAN_POSTS)
    .map((p) => ({ ...p, scheduledFor: new Date(p.scheduledFor).toISOString() }));
}

const captionOf = (p: CampaignProposal) =>
  p.hashtags.length
    ? `${p.caption}\n\n${p.hashtags.map((h) => (h.startsWith("#") ? h : `#${h}`)).join(" ")}`
    : p.caption;

/**
 * The n-th draft, once: one transaction of the draft's create (conditional on its id being
 * new) and a check that the campaign is active and lists the plan. Returns false when the
 * campaign is gone; a draft that exists already (a retried run) counts as created.
 */
async function createDraft(g: GenerationItem, campaign: CampaignItem, id: string, p: CampaignProposal) {
  const at = nowIso();
  const caption = captionOf(p);
  const result = await db()
    .transaction.write(({ post, campaign: c }) => [
      post
        .create({
          id,
          workspaceId: g.workspaceId,
          accountId: p.accountId,
          platform: p.platform,
          caption,
          originalCaption: caption,
          media: [],
          status: "draft",
          version: 1,
          scheduledFor: p.scheduledFor,
          calendarAt: p.scheduledFor ?? UNSCHEDULED,
          attempts: 0,
          campaignId: campaign.id,
          createdAt: at,
          updatedAt: at,
        })
        .commit(),
      c
        .check({ workspaceId: g.workspaceId, id: campaign.id })
        .where((a, op) => `${op.eq(a.status, "active")} AND ${op.contains(a.planIds, g.id)}`)
        .commit(),
    ])
    .go();
  if (!result.canceled) return true;
  const [postOutcome, campaignOutcome] = result.data;
  if (campaignOutcome?.code === "ConditionalCheckFailed") return false;
  if (postOutcome?.code === "ConditionalCheckFailed") return true;
  // Another transaction on one of the items was in flight: a retryable failure (the run resumes).
  throw new Error(`campaign draft transaction cancelled: ${postOutcome?.code} / ${campaignOutcome?.code}`);
}
