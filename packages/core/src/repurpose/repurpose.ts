import * as Account from "../account/account";
import { NotFoundError, ValidationError } from "../errors";
import type { GenerationItem } from "../generation/generation";
import * as Generation from "../generation/generation";
import type { Generator } from "../generation/generator";
import { LlmInvalidOutputError } from "../llm/errors";
import { generateObject } from "../llm/generate";
import { type RepurposeInput, type RepurposeOutput, repurposePrompt } from "../llm/prompts/repurpose";
import { assertBudget } from "../llm/usage";
import { captionProblems, draftCaption, MAX_HASHTAGS } from "../plan/check";
import { brandProfileOf } from "../plan/inputs";
import { PLATFORMS, type Platform } from "../platforms";
import { createDraftOnce } from "../post/draft-once";
import * as Post from "../post/post";
import { CAPTION_LIMITS } from "../post/rules";
import * as Workspace from "../workspace/workspace";

export const FEATURE = "repurpose";

export interface RepurposeRequest {
  sourcePostId: string;
  /** `platform`, when given, must be one Studio supports and the account's. */
  targets: Array<{ accountId: string; platform?: string }>;
}

export interface Variant {
  accountId: string;
  platform: Platform;
  hook: string | null;
  caption: string | null;
  callToAction: string | null;
  hashtags: string[];
  /** The draft (deterministic: the repurposing's id and the target account). */
  postId: string | null;
  /** Why this target got no draft (the others are unaffected). */
  error: { code: string; message: string } | null;
}

interface StoredRequest extends Record<string, unknown> {
  sourcePostId: string;
  targets: Array<{ accountId: string; platform: Platform; handle: string }>;
}

interface RepurposeOutputStored {
  variants: Variant[];
  usage: { calls: number; promptTokens: number; completionTokens: number; costUsd: number; repaired: boolean };
}

/**
 * Can `platform` take the source's media? (api.md media rules; a target that cannot gets no draft.)
 */
function mediaProblem(platform: Platform, media: Post.MediaInput[]): string | undefined {
  if (platform === "tiktok" && !(media.length === 1 && media[0]?.type === "video")) {
    return "TikTok needs exactly one video; the source post has none.";
  }
  if (platform === "instagram" && media.length !== 1)
    return "Instagram needs exactly one image or video; the source post has none.";
  if (media.length > 1) return `${platform} takes at most one image or video.`;
  return undefined;
}

/**
 * Accepts a repurposing (the route and the agent's `repurposePost` tool call this): the source
 * must be the workspace's (404 `post.not_found`, also when deleted), every target one of its
 * accounts (404 `account.not_found` naming it), a platform given with a target must be supported
 * and the account's (400 `repurpose.unsupported_platform` naming it). Then the background run.
 *
 * @example
 * const g = await Repurpose.request(ws, { sourcePostId, targets: [{ accountId: tiktokId }] });
 */
export async function request(
  workspaceId: string,
  body: RepurposeRequest,
  idempotencyKey?: string,
  now = Date.now(),
): Promise<Generation.Started> {
  const source = await Post.load(workspaceId, body.sourcePostId);
  const seen = new Set<string>();
  const targets: StoredRequest["targets"] = [];
  for (const [i, t] of body.targets.entries()) {
    if (t.platform !== undefined && !(PLATFORMS as readonly string[]).includes(t.platform)) {
      throw new ValidationError(
        "repurpose.unsupported_platform",
        `Studio cannot post to "${t.platform}"; supported: ${PLATFORMS.join(", ")}.`,
        { path: `targets.${i}.platform`, platform: t.platform },
      );
    }
    const account = await Account.find(workspaceId, t.accountId);
    if (!account) {
      throw new NotFoundError("account.not_found", `Account ${t.accountId} not found.`);
    }
    if (t.platform !== undefined && t.platform !== account.platform) {
      throw new ValidationError(
        "repurpose.unsupported_platform",
        `Account ${t.accountId} is on ${account.platform}, not ${t.platform}.`,
        { path: `targets.${i}.platform`, platform: t.platform, accountId: t.accountId },
      );
    }
    if (seen.has(account.id)) {
      throw new ValidationError("validation_failed", "Invalid request.", [
        { path: `targets.${i}.accountId`, message: "Each account may be a target once." },
      ]);
    }
    seen.add(account.id);
    targets.push({ accountId: account.id, platform: account.platform, handle: account.handle });
  }
  const workspace = await Workspace.load(workspaceId);
  await assertBudget(workspaceId, workspace.llmMonthlyBudgetUsd, now);
  const input: StoredRequest = { sourcePostId: source.id, targets };
  return Generation.start({
    workspaceId,
    feature: FEATURE,
    prefix: "rep",
    input,
    idempotencyKey,
  });
}

/**
 * The repurposing's background run: resumes from stored variants (no second LLM call); else
 * re-reads the source (deleted meanwhile → failed `post.not_found`), answers targets whose
 * platform cannot take the source's media with an error (no LLM needed for them), asks the
 * model for the others, checks each variant by code (one variant per target, caption length
 * with hook, call to action and hashtags, hashtag count), the one repair, then an error for
 * each target still broken. Stores the variants, then creates each draft once.
 */
export const generator: Generator = {
  async run(g, ctx) {
    const req = g.input as StoredRequest;
    let output = g.output as RepurposeOutputStored | undefined;
    const source = await Post.load(g.workspaceId, req.sourcePostId);
    if (!output?.variants) {
      const workspace = await Workspace.load(g.workspaceId);
      const variants = new Map<string, Variant>();
      const eligible = req.targets.filter((t) => {
        const problem = mediaProblem(t.platform, source.media);
        if (problem)
          variants.set(t.accountId, emptyVariant(t, { code: "repurpose.media_unsupported", message: problem }));
        return !problem;
      });
      output = { variants: [], usage: { calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, repaired: false } };
      if (eligible.length) {
        const input: RepurposeInput = {
          source: { platform: source.platform, caption: source.caption, mediaType: source.media[0]?.type ?? null },
          targets: eligible,
          rules: Object.fromEntries(
            eligible.map((t) => [
              t.platform,
              { captionMaxChars: CAPTION_LIMITS[t.platform], maxHashtags: MAX_HASHTAGS[t.platform] },
            ]),
          ),
          brandProfile: brandProfileOf(workspace).profile,
        };
        const result = await generateObject({
          workspaceId: g.workspaceId,
          prompt: repurposePrompt,
          input,
          resourceId: g.id,
          budgetUsd: workspace.llmMonthlyBudgetUsd,
          deadline: ctx.deadline,
          signal: ctx.signal,
          check: (data) => variantIssues(data, eligible).lines,
        });
        const { byAccount } = variantIssues(result.data, eligible);
        for (const t of eligible) {
          const found = byAccount.get(t.accountId);
          if (!found || found.problems.length) {
            variants.set(
              t.accountId,
              emptyVariant(t, {
                code: "repurpose.variant_invalid",
                message: `No valid variant after one repair: ${found?.problems.join("; ") ?? "the model gave none for this account"}.`,
              }),
            );
          } else {
            const v = found.variant;
            variants.set(t.accountId, {
              accountId: t.accountId,
              platform: t.platform,
              hook: v.hook,
              caption: v.caption,
              callToAction: v.callToAction,
              hashtags: v.hashtags,
              postId: Generation.childId("post", g.id, t.accountId),
              error: null,
            });
          }
        }
        output.usage = { calls: result.calls.length, ...result.usage, repaired: result.repaired };
      }
      output.variants = req.targets.map((t) => variants.get(t.accountId) as Variant);
      if (eligible.length && output.variants.every((v) => !v.postId)) {
        throw new LlmInvalidOutputError("The language model gave no variant that respects the platforms' rules.", {
          entryPoint: "repurpose",
        });
      }
      await ctx.checkpoint(output);
    }
    for (const v of output.variants) {
      if (!v.postId) continue;
      await createDraftOnce(g.workspaceId, v.postId, {
        accountId: v.accountId,
        platform: v.platform,
        caption: assembled(v),
        media: source.media.map((m) => ({ url: m.url, type: m.type })),
        sourcePostId: req.sourcePostId,
      });
    }
    return output;
  },
};

/** The draft's caption: hook, body, call to action, hashtags. */
const assembled = (v: {
  hook: string | null;
  caption: string | null;
  callToAction: string | null;
  hashtags: string[];
}) => draftCaption([v.hook, v.caption, v.callToAction].filter(Boolean).join("\n\n"), v.hashtags);

function emptyVariant(t: StoredRequest["targets"][number], error: { code: string; message: string }): Variant {
  return {
    accountId: t.accountId,
    platform: t.platform,
    hook: null,
    caption: null,
    callToAction: null,
    hashtags: [],
    postId: null,
    error,
  };
}

/** Per target, its variant and what it breaks; lines for the repair. */
function variantIssues(data: RepurposeOutput, targets: StoredRequest["targets"]) {
  const byAccount = new Map<string, { variant: RepurposeOutput["variants"][number]; problems: string[] }>();
  const lines: string[] = [];
  for (const [i, v] of data.variants.entries()) {
    const target = targets.find((t) => t.accountId === v.accountId);
    if (!target) {
      lines.push(`variants.${i}: account ${v.accountId} is not a target`);
      continue;
    }
    if (byAccount.has(v.accountId)) {
      lines.push(`variants.${i}: a second variant for ${v.accountId}`);
      continue;
    }
    const problems = [
      ...(v.platform !== target.platform ? [`platform must be ${target.platform}`] : []),
      ...captionProblems(target.platform, [v.hook, v.caption, v.callToAction].join("\n\n"), v.hashtags),
    ];
    byAccount.set(v.accountId, { variant: v, problems });
    if (problems.length) lines.push(`variants.${i}: ${problems.join("; ")}`);
  }
  for (const t of targets)
    if (!byAccount.has(t.accountId)) lines.push(`no variant for target ${t.accountId} (${t.platform})`);
  return { byAccount, lines };
}

/** The repurposing as the API shows it. */
export function toView(g: GenerationItem) {
  const req = g.input as StoredRequest;
  const out = (g.output ?? {}) as Partial<RepurposeOutputStored>;
  return {
    id: g.id,
    sourcePostId: req.sourcePostId,
    status: g.status,
    variants: out.variants ?? req.targets.map((t) => ({ ...emptyVariant(t, { code: "", message: "" }), error: null })),
    usage: out.usage ?? null,
    lastError: g.lastError?.code ? { code: g.lastError.code, message: g.lastError.message ?? "" } : null,
    createdAt: g.createdAt,
    updatedAt: g.updatedAt,
  };
}

/** One repurposing, or 404 `repurpose.not_found`. */
export const get = async (workspaceId: string, id: string) =>
  toView(await Generation.get(workspaceId, id, FEATURE, "repurpose.not_found"));
