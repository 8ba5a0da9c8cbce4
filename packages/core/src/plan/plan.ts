import * as Account from "../account/account";
import { ValidationError } from "../errors";
import type { GenerationItem } from "../generation/generation";
import * as Generation from "../generation/generation";
import type { Generator } from "../generation/generator";
import { LlmInvalidOutputError } from "../llm/errors";
import { generateObject } from "../llm/generate";
import { type WeeklyPlanInput, type WeeklyPlanOutput, weeklyPlanPrompt } from "../llm/prompts/weekly-plan";
import { assertBudget } from "../llm/usage";
import type { Platform } from "../platforms";
import { createDraftOnce } from "../post/draft-once";
import { CAPTION_LIMITS } from "../post/rules";
import * as Workspace from "../workspace/workspace";
import { draftCaption, MAX_HASHTAGS, MEDIA_TYPES, type PlanContext, problemLines, proposalProblems } from "./check";
import { brandProfileOf, competitorSummary, metricsSummary } from "./inputs";
import { planWeek } from "./week";

export const FEATURE = "weeklyPlan";

/** `POST /v1/plans` body (validated at the edge). */
export interface PlanRequest {
  weekStart?: string;
  platforms?: Platform[];
  postsPerWeek?: number;
  notes?: string;
}

export interface Proposal {
  accountId: string;
  platform: Platform;
  scheduledFor: string;
  mediaType: "image" | "video" | "text";
  topic: string;
  caption: string;
  hashtags: string[];
  rationale: string;
  /** The draft made from it (deterministic: the plan's id and the proposal's position). */
  postId: string;
}

/** What a plan run stores: checkpointed before any draft exists, then completed with the drafts. */
interface PlanOutput {
  proposals: Proposal[];
  dropped: Array<{ proposal: Omit<Proposal, "postId">; reasons: string[] }>;
  summary: string;
  notes: string[];
  usage: { calls: number; promptTokens: number; completionTokens: number; costUsd: number; repaired: boolean };
  draftPostIds?: string[];
}

/** The plan as the API shows it. */
export interface PlanView {
  id: string;
  weekStart: string;
  timezone: string;
  status: GenerationItem["status"];
  proposals: Proposal[];
  draftPostIds: string[];
  dropped: PlanOutput["dropped"];
  summary: string | null;
  notes: string[];
  usage: PlanOutput["usage"] | null;
  lastError: { code: string; message: string } | null;
  createdAt: string;
  updatedAt: string;
}

/** Accepted request as stored on the generation. */
interface StoredRequest extends Record<string, unknown> {
  weekStart: string;
  timezone: string;
  window: { start: string; end: string };
  platforms: Platform[] | null;
  postsPerWeek: number;
  notes: string | null;
}

/**
 * Accepts a weekly plan request (the route and the agent's `generateWeeklyPlan` tool call this):
 * checks the week (a Monday in the workspace's zone, not over) and that the workspace has an
 * active account on the platforms asked (400 `plan.no_accounts`), then starts the background
 * generation (202 `generating`). With the same `idempotencyKey`, the same plan.
 *
 * @example
 * const plan = await Plan.request(ws, { postsPerWeek: 5 }, "key-1"); // status "generating"
 */
export async function request(
  workspaceId: string,
  body: PlanRequest,
  idempotencyKey?: string,
  now = Date.now(),
): Promise<Generation.Started> {
  const workspace = await Workspace.load(workspaceId);
  const week = planWeek(body.weekStart, workspace.timezone, now);
  // A spent budget is said at once (429), not after a background run.
  await assertBudget(workspaceId, workspace.llmMonthlyBudgetUsd, now);
  const accounts = await activeAccounts(workspaceId, body.platforms);
  if (accounts.length === 0) {
    throw new ValidationError(
      "plan.no_accounts",
      body.platforms?.length
        ? `The workspace has no active account on ${body.platforms.join(", ")}: connect one first.`
        : "The workspace has no active account: connect one first.",
      { platforms: body.platforms ?? null },
    );
  }
  const input: StoredRequest = {
    weekStart: week.weekStart,
    timezone: week.timezone,
    window: { start: week.start, end: week.end },
    platforms: body.platforms ?? null,
    postsPerWeek: body.postsPerWeek ?? 5,
    notes: body.notes ?? null,
  };
  return Generation.start({
    workspaceId,
    feature: FEATURE,
    prefix: "plan",
    input,
    idempotencyKey,
  });
}

/**
 * The planner's background run (generation/runner.ts). Resumes from the checkpoint when the
 * proposals are already stored (a retry never calls the model again); otherwise gathers the
 * inputs (brand profile or defaults, metrics of 30 days, competitors), asks the model, checks
 * every proposal by code (one repair with the problems, then breaking ones are dropped with
 * their reasons), stores the plan, and only then creates each draft once.
 */
export const generator: Generator = {
  async run(g, ctx) {
    const req = g.input as StoredRequest;
    let output = g.output as PlanOutput | undefined;
    if (!output?.proposals) {
      const workspace = await Workspace.load(g.workspaceId);
      const accounts = await activeAccounts(g.workspaceId, req.platforms ?? undefined);
      const brand = brandProfileOf(workspace);
      const [metrics, competitors] = await Promise.all([
        metricsSummary(g.workspaceId, workspace.timezone, 30),
        competitorSummary(g.workspaceId),
      ]);
      const now = Date.now();
      // Times already past cannot be proposed: the window starts no earlier than an hour from now.
      const windowStart = new Date(Math.max(Date.parse(req.window.start), now + 3_600_000)).toISOString();
      const platforms = [...new Set(accounts.map((a) => a.platform))];
      const input: WeeklyPlanInput = {
        week: { weekStart: req.weekStart, timezone: req.timezone },
        window: { start: windowStart, end: req.window.end },
        postsPerWeek: req.postsPerWeek,
        accounts: accounts.map((a) => ({ accountId: a.id, platform: a.platform, handle: a.handle })),
        rules: Object.fromEntries(
          platforms.map((p) => [
            p,
            { captionMaxChars: CAPTION_LIMITS[p], maxHashtags: MAX_HASHTAGS[p], mediaTypes: MEDIA_TYPES[p] },
          ]),
        ),
        notes: req.notes,
        brandProfile: brand.profile,
        metrics: metrics.postsMeasured
          ? metrics
          : { days: 30, postsMeasured: 0, note: "No metrics yet: a new account." },
        competitors,
      };
      const check: PlanContext = {
        accounts: new Map(accounts.map((a) => [a.id, { platform: a.platform }])),
        window: req.window,
        postsPerWeek: req.postsPerWeek,
        now,
      };
      const result = await generateObject({
        workspaceId: g.workspaceId,
        prompt: weeklyPlanPrompt,
        input,
        resourceId: g.id,
        budgetUsd: workspace.llmMonthlyBudgetUsd,
        deadline: ctx.deadline,
        signal: ctx.signal,
        check: (data) => problemLines(proposalProblems(data, { ...check, now: Date.now() })),
      });
      output = split(g.id, result.data, proposalProblems(result.data, { ...check, now: Date.now() }));
      if (output.proposals.length === 0) {
        throw new LlmInvalidOutputError("The language model proposed no post that respects the platforms' rules.", {
          entryPoint: "weeklyPlan",
        });
      }
      output.notes = [
        ...(brand.defaulted ? ["No brand profile: defaults were used (set one with PATCH /v1/workspace)."] : []),
        ...(metrics.postsMeasured ? [] : ["No metrics history yet: times follow general practice."]),
        ...(competitors.length ? [] : ["No competitors tracked."]),
        ...(output.dropped.length
          ? [`${output.dropped.length} proposal(s) dropped: they broke a rule (see dropped).`]
          : []),
      ];
      output.usage = { calls: result.calls.length, ...result.usage, repaired: result.repaired };
      // The plan is stored before any draft exists: a failure below resumes from here.
      await ctx.checkpoint(output);
    }
    const draftPostIds: string[] = [];
    for (const p of output.proposals) {
      const post = await createDraftOnce(g.workspaceId, p.postId, {
        accountId: p.accountId,
        platform: p.platform,
        caption: draftCaption(p.caption, p.hashtags),
        media: [],
        scheduledFor: p.scheduledFor,
        planId: g.id,
      });
      draftPostIds.push(post.id);
    }
    return { ...output, draftPostIds };
  },
};

/** Keeps the proposals that break nothing (each with its draft id), drops the others with reasons. */
function split(planId: string, data: WeeklyPlanOutput, problems: string[][]): PlanOutput {
  const proposals: Proposal[] = [];
  const dropped: PlanOutput["dropped"] = [];
  data.proposals.forEach((p, i) => {
    const reasons = problems[i] ?? [];
    if (reasons.length) dropped.push({ proposal: p, reasons });
    else proposals.push({ ...p, postId: Generation.childId("post", planId, String(proposals.length)) });
  });
  return {
    proposals,
    dropped,
    summary: data.summary,
    notes: [],
    usage: { calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, repaired: false },
  };
}

async function activeAccounts(workspaceId: string, platforms?: Platform[]) {
  const { items } = await Account.list(workspaceId, { limit: 200 });
  return items.filter((a) => a.status === "active" && (!platforms?.length || platforms.includes(a.platform)));
}

/** One plan, or 404 `plan.not_found`. */
export const get = async (workspaceId: string, id: string) =>
  toView(await Generation.get(workspaceId, id, FEATURE, "plan.not_found"));

/** The workspace's plans, newest first. */
export async function list(workspaceId: string, page: { limit?: number; cursor?: string | null }) {
  const { items, nextCursor } = await Generation.list(workspaceId, FEATURE, page);
  return { items: items.map(toView), nextCursor };
}

export function toView(g: GenerationItem): PlanView {
  const req = g.input as StoredRequest;
  const out = (g.output ?? {}) as Partial<PlanOutput>;
  return {
    id: g.id,
    weekStart: req.weekStart,
    timezone: req.timezone,
    status: g.status,
    proposals: out.proposals ?? [],
    draftPostIds: g.status === "ready" ? (out.draftPostIds ?? []) : [],
    dropped: out.dropped ?? [],
    summary: out.summary ?? null,
    notes: out.notes ?? [],
    usage: out.usage ?? null,
    lastError: g.lastError?.code ? { code: g.lastError.code, message: g.lastError.message ?? "" } : null,
    createdAt: g.createdAt,
    updatedAt: g.updatedAt,
  };
}
