import { type RequestContext, words } from "./context";

/**
 * Plausible social-media text built from the request: the brand's name, tone and topics, the
 * target platform, the source caption. Deterministic: the same request and index give the same
 * words. Short enough for every platform's limits (the code after the model checks anyway).
 */

const pick = <T>(list: T[], n: number): T => list[Math.abs(n) % list.length] as T;

const OPENERS = [
  "Here's something we have been waiting to share",
  "Quick one for your feed",
  "Behind the scenes today",
  "You asked, we listened",
  "Three things we learned this week",
  "A small detail that changes everything",
  "Save this for later",
];
const CTAS = [
  "Tell us what you think in the comments.",
  "Save this post and share it with a friend.",
  "Follow for more every week.",
  "Tap the link in our bio to learn more.",
  "Drop a question below and we'll answer it.",
];
const HOOKS = [
  "Stop scrolling: this takes 30 seconds",
  "Nobody talks about this",
  "The one thing we wish we knew sooner",
  "Here's how we actually do it",
  "Before you post today, read this",
];

export function topicOf(ctx: RequestContext, i: number): string {
  return ctx.topics.length ? pick(ctx.topics, i) : "what we make";
}

export function caption(ctx: RequestContext, platform: string | undefined, i: number): string {
  const topic = topicOf(ctx, i + ctx.seed);
  if (ctx.sourceText) {
    const first =
      ctx.sourceText
        .split(/(?<=[.!?])\s+/)[0]
        ?.replace(/#\w+/g, "")
        .trim() ?? ctx.sourceText;
    const core = first.length > 160 ? `${first.slice(0, 157)}…` : first;
    if (platform === "tiktok") return `${pick(HOOKS, ctx.seed + i)}: ${core}`;
    if (platform === "facebook")
      return `${core}\n\nWe put this together for ${ctx.audience}, in our usual ${ctx.tone} way. ${pick(CTAS, ctx.seed + i)}`;
    return `${core}\n\n${pick(OPENERS, ctx.seed + i)} from ${ctx.brandName}. ${pick(CTAS, ctx.seed + i + 1)}`;
  }
  const opener = pick(OPENERS, ctx.seed + i);
  const body =
    platform === "tiktok"
      ? `${topic} in under a minute, the ${ctx.tone} way.`
      : `${ctx.brandName} on ${topic}: what works for ${ctx.audience}, and what we would skip.`;
  return `${opener}. ${body} ${pick(CTAS, ctx.seed + i + 2)}`;
}

export const hook = (ctx: RequestContext, i: number) => `${pick(HOOKS, ctx.seed + i)} (${topicOf(ctx, i)})`;
export const callToAction = (ctx: RequestContext, i: number) => pick(CTAS, ctx.seed + i + 3);
export const title = (ctx: RequestContext, i: number) =>
  `${capitalize(topicOf(ctx, i + ctx.seed))}: ${pick(["tips", "behind the scenes", "myth vs fact", "a quick how-to", "customer story"], i + ctx.seed)}`;

export function rationale(ctx: RequestContext, i: number): string {
  const comp = ctx.input.competitors;
  const competitor =
    Array.isArray(comp) && comp.length
      ? ` ${(comp[i % comp.length] as { handle?: string }).handle ?? "A competitor"} gets most engagement on this kind of post.`
      : "";
  return `Fits ${ctx.brandName}'s ${ctx.tone} tone and the topic "${topicOf(ctx, i)}".${competitor}`.slice(0, 280);
}

/** Unique hashtags from the brand and its topics (`#` + camel-cased words). */
export function hashtags(ctx: RequestContext, count: number, offset = 0): string[] {
  const pool = [
    ...ctx.topics.flatMap((t) => [camel(t), ...words(t).map(camel)]),
    camel(ctx.brandName),
    ...(ctx.sourceText ? words(ctx.sourceText).map(camel) : []),
    "contentcreator",
    "behindthescenes",
    "tips",
    "community",
  ].filter((t) => t.length > 1 && t.length <= 30);
  const unique = [...new Set(pool.map((t) => t.toLowerCase()))];
  const out: string[] = [];
  for (let i = 0; i < unique.length && out.length < count; i++) out.push(`#${unique[(i + offset) % unique.length]}`);
  return [...new Set(out)];
}

export const phrase = (ctx: RequestContext, i: number) => `${capitalize(topicOf(ctx, i))} for ${ctx.audience}`;

const camel = (s: string) =>
  s
    .replace(/[^a-zA-Z0-9à-ÿ ]/g, " ")
    .split(/\s+/)
    .filter(Boolean)
    .map((w, i) => (i ? w.charAt(0).toUpperCase() + w.slice(1) : w))
    .join("");
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
