import { describe, expect, it } from "vitest";
import type { WeeklyPlanOutput } from "../llm/prompts/weekly-plan";
import { type PlanContext, proposalProblems } from "./check";

/** The rules a schema-valid plan can still break (issue 10): each one caught by code. */
const now = Date.parse("2026-12-01T10:00:00Z");
const ctx: PlanContext = {
  accounts: new Map([
    ["acct_ig", { platform: "instagram" }],
    ["acct_tt", { platform: "tiktok" }],
  ]),
  window: { start: "2026-12-06T23:00:00.000Z", end: "2026-12-13T23:00:00.000Z" },
  postsPerWeek: 3,
  now,
};
const good = {
  accountId: "acct_ig",
  platform: "instagram" as const,
  scheduledFor: "2026-12-08T09:00:00.000Z",
  mediaType: "image" as const,
  topic: "t",
  caption: "A fine caption",
  hashtags: ["#coffee", "#latte"],
  rationale: "r",
};
const plan = (...proposals: WeeklyPlanOutput["proposals"]): WeeklyPlanOutput => ({ proposals, summary: "s" });

describe("proposalProblems", () => {
  it("accepts a proposal that respects every rule", () => {
    expect(proposalProblems(plan(good), ctx)).toEqual([[]]);
  });

  it.each([
    ["a 3,000-character caption", { caption: "x".repeat(3_000) }, /2200/],
    ["40 hashtags", { hashtags: Array.from({ length: 40 }, (_, i) => `#tag${i}`) }, /40 hashtags/],
    ["a malformed hashtag", { hashtags: ["#two words"] }, /hashtags must be/],
    ["a time in the past", { scheduledFor: "2026-11-30T09:00:00.000Z" }, /past/],
    ["a time after the week", { scheduledFor: "2026-12-14T09:00:00.000Z" }, /after the week/],
    ["not an instant", { scheduledFor: "next tuesday" }, /not an ISO-8601/],
    ["an account the workspace does not have", { accountId: "acct_other" }, /not one of the workspace's accounts/],
    ["the wrong platform for the account", { platform: "facebook" as const }, /is on instagram/],
    ["a text post on Instagram", { mediaType: "text" as const }, /does not take text/],
  ])("rejects %s", (_, patch, reason) => {
    const [problems] = proposalProblems(plan({ ...good, ...patch }), ctx);
    expect(problems?.join("; ")).toMatch(reason);
  });

  it("TikTok takes videos only", () => {
    const [problems] = proposalProblems(plan({ ...good, accountId: "acct_tt", platform: "tiktok" }), ctx);
    expect(problems?.join()).toMatch(/tiktok does not take image/);
  });

  it("the same post twice, and more posts than asked, are dropped", () => {
    const other = { ...good, scheduledFor: "2026-12-09T09:00:00.000Z" };
    const problems = proposalProblems(
      plan(
        good,
        { ...good, caption: "Another" },
        other,
        { ...good, caption: "Third", scheduledFor: "2026-12-10T09:00:00.000Z" },
        { ...good, caption: "Fourth", scheduledFor: "2026-12-11T09:00:00.000Z" },
        { ...good, caption: "Fifth", scheduledFor: "2026-12-12T09:00:00.000Z" },
      ),
      ctx,
    );
    expect(problems[1]?.join()).toMatch(/duplicates/); // same account and time
    expect(problems[2]?.join()).toMatch(/duplicates/); // same caption
    expect(problems[3]).toEqual([]);
    expect(problems[4]).toEqual([]);
    expect(problems[5]?.join()).toMatch(/more than the 3 posts/);
  });
});
