import type { WeeklyPlanOutput } from "../llm/prompts/weekly-plan";
import type { Platform } from "../platforms";
import { CAPTION_LIMITS } from "../post/rules";
import { parseInstant } from "../util/time";

/** Hashtags per post Studio accepts from the planner and the repurposer (Instagram's own cap is 30). */
export const MAX_HASHTAGS: Record<Platform, number> = { instagram: 30, facebook: 30, tiktok: 30 };

/** Media types a proposal may name, per platform (api.md media rules; `text` = no media). */
export const MEDIA_TYPES: Record<Platform, string[]> = {
  instagram: ["image", "video"],
  facebook: ["image", "video", "text"],
  tiktok: ["video"],
};

/** A planned post is at least this far in the future. */
export const MIN_LEAD_MS = 5 * 60_000;

const HASHTAG = /^#[\p{L}\p{N}_]{1,100}$/u;

/** The caption a draft gets: the caption, then its hashtags. */
export const draftCaption = (caption: string, hashtags: string[]) =>
  hashtags.length ? `${caption.trim()}\n\n${hashtags.join(" ")}` : caption.trim();

/** Problems of one caption + hashtags for a platform (length counts both; never truncated). */
export function captionProblems(platform: Platform, caption: string, hashtags: string[]): string[] {
  const out: string[] = [];
  const length = [...draftCaption(caption, hashtags)].length;
  if (!caption.trim()) out.push("the caption is empty");
  if (length > CAPTION_LIMITS[platform]) {
    out.push(`caption and hashtags have ${length} characters; ${platform} allows ${CAPTION_LIMITS[platform]}`);
  }
  if (hashtags.length > MAX_HASHTAGS[platform]) {
    out.push(`${hashtags.length} hashtags; at most ${MAX_HASHTAGS[platform]}`);
  }
  const bad = hashtags.filter((h) => !HASHTAG.test(h));
  if (bad.length) out.push(`hashtags must be # and letters/digits only: ${bad.slice(0, 3).join(", ")}`);
  if (new Set(hashtags.map((h) => h.toLowerCase())).size < hashtags.length) out.push("a hashtag is repeated");
  return out;
}

export interface PlanContext {
  accounts: Map<string, { platform: Platform }>;
  window: { start: string; end: string };
  postsPerWeek: number;
  now: number;
}

/**
 * The rules a schema-valid plan can still break, checked by code: the workspace's accounts
 * only (and their platform), times inside the week and not in the past, caption length and
 * hashtags per platform, media types, no duplicate (same account and time, or same caption),
 * no more than asked. Returns, per proposal index, what it breaks (empty: keep it).
 *
 * @example
 * const problems = proposalProblems(output, ctx); // [[], ["time 2026-12-01T08:00Z is in the past"], …]
 */
export function proposalProblems(output: WeeklyPlanOutput, ctx: PlanContext): string[][] {
  const seenSlots = new Set<string>();
  const seenCaptions = new Set<string>();
  let kept = 0;
  const start = Date.parse(ctx.window.start);
  const end = Date.parse(ctx.window.end);
  return output.proposals.map((p) => {
    const out: string[] = [];
    const account = ctx.accounts.get(p.accountId);
    if (!account) out.push(`account ${p.accountId} is not one of the workspace's accounts`);
    else if (account.platform !== p.platform)
      out.push(`account ${p.accountId} is on ${account.platform}, not ${p.platform}`);
    const platform = account?.platform ?? p.platform;
    const at = parseInstant(p.scheduledFor)?.getTime();
    if (at === undefined) out.push(`scheduledFor ${p.scheduledFor} is not an ISO-8601 instant`);
    else if (at < Math.max(start, ctx.now + MIN_LEAD_MS))
      out.push(`scheduledFor ${p.scheduledFor} is in the past or before the week`);
    else if (at >= end) out.push(`scheduledFor ${p.scheduledFor} is after the week`);
    out.push(...captionProblems(platform, p.caption, p.hashtags));
    if (!MEDIA_TYPES[platform].includes(p.mediaType)) out.push(`${platform} does not take ${p.mediaType} posts`);
    const slot = `${p.accountId}|${at}`;
    const text = p.caption.trim().toLowerCase();
    if (seenSlots.has(slot) || seenCaptions.has(text)) out.push("duplicates another proposal");
    if (out.length === 0) {
      if (kept >= ctx.postsPerWeek) out.push(`more than the ${ctx.postsPerWeek} posts asked for`);
      else {
        kept++;
        seenSlots.add(slot);
        seenCaptions.add(text);
      }
    }
    return out;
  });
}

/** The problems as lines for the model's one repair. */
export const problemLines = (problems: string[][]) =>
  problems.flatMap((list, i) => (list.length ? [`proposals.${i}: ${list.join("; ")}`] : []));
