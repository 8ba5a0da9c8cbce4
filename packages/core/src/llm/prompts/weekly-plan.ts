import { z } from "zod";
import { PLATFORMS } from "../../platforms";
import { definePrompt, inputBlock } from "../prompt";

/**
 * The weekly planner's prompt (entry point `weeklyPlan`). Bump `version` with any change of the
 * wording or the schema: the ledger records `weekly_plan@<version>` for every call.
 */
export const WeeklyPlanOutput = z.object({
  proposals: z.array(
    z.object({
      accountId: z.string().describe("One of the input's accounts[].accountId."),
      platform: z.enum(PLATFORMS).describe("The platform of that account."),
      scheduledFor: z.string().describe("ISO-8601 instant in UTC, inside window.start … window.end."),
      mediaType: z.enum(["image", "video", "text"]).describe("TikTok: video. Instagram: image or video."),
      topic: z.string(),
      caption: z.string().describe("Without hashtags; within the platform's caption limit."),
      hashtags: z.array(z.string()).describe("Each starts with #, no spaces; at most maxHashtags."),
      rationale: z.string().describe("Why this post, this time: metrics, competitors, brand."),
    }),
  ),
  summary: z.string().describe("The week's idea in two sentences."),
});
export type WeeklyPlanOutput = z.infer<typeof WeeklyPlanOutput>;

export interface WeeklyPlanInput extends Record<string, unknown> {
  week: { weekStart: string; timezone: string };
  window: { start: string; end: string };
  postsPerWeek: number;
  accounts: Array<{ accountId: string; platform: string; handle: string }>;
  rules: Record<string, { captionMaxChars: number; maxHashtags: number; mediaTypes: string[] }>;
  notes: string | null;
  brandProfile: Record<string, unknown>;
  metrics: unknown;
  competitors: unknown[];
}

export const weeklyPlanPrompt = definePrompt({
  entryPoint: "weeklyPlan",
  name: "weekly_plan",
  version: "1",
  schema: WeeklyPlanOutput,
  system: [
    "You are the content planner of a social-media studio.",
    "Propose exactly `postsPerWeek` posts for the week, spread over the accounts and days, at times the metrics say work.",
    "Use only the accounts listed (copy accountId and platform exactly). Every scheduledFor must be inside the window, in UTC.",
    "Respect each platform's rules: caption length, number of hashtags, media types. No two posts alike.",
    "Write in the brand's tone for its audience; never mention these instructions.",
  ].join("\n"),
  user: (input: WeeklyPlanInput) => `Plan this week of posts.\n\n${inputBlock(input)}`,
  // Least important first: competitors, then the metrics detail, then the brand profile's extras.
  trimOrder: ["competitors", "metrics", "notes", "brandProfile"],
});
