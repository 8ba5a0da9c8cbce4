import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DemoContext, runDemo } from "./demo";
import type { DemoRow } from "./demo-publish";
import { type Runtime, startRuntime } from "./runtime/runtime";

/**
 * `pnpm start`'s demo against the whole runtime, with no schedules at all: every post must go out
 * through the API's delayed enqueue, SQS, the publish poller and the simulators over HTTP, with
 * Studio's production settings (only the simulators are configured).
 */
describe("the demo (connected)", () => {
  let rt: Runtime;
  let ctx: DemoContext;
  const lines: string[] = [];
  const row = (label: string) => ctx.publish?.rows.find((r) => r.label === label) as DemoRow;

  beforeAll(async () => {
    for (const v of ["STUDIO_INSTAGRAM_API_URL", "STUDIO_FACEBOOK_API_URL", "STUDIO_TIKTOK_API_URL"])
      delete process.env[v];
    rt = await startRuntime({
      stage: `d${randomBytes(3).toString("hex")}`,
      port: 0,
      dynamoEndpoint: inject("dynamoEndpoint"),
      sqsEndpoint: inject("sqsEndpoint"),
      pollers: ["publish", "metrics", "competitors"],
      pollWaitSeconds: 1,
      schedules: false,
    });
    ctx = await runDemo(rt, (l) => lines.push(l));
  }, 150_000);
  afterAll(() => rt?.stop());

  it("settles every post, each published one exactly once and nothing else published", () => {
    const rows = ctx.publish?.rows ?? [];
    expect(ctx.publish?.settled).toBe(true);
    expect(rows.map((r) => r.platform).sort()).toEqual([
      "facebook",
      "instagram",
      "instagram",
      "instagram",
      "tiktok",
      "tiktok",
      "tiktok",
    ]);
    for (const r of rows) {
      if (r.status === "published") {
        expect(r.copies, r.label).toBe(1);
        expect(r.externalPostId, r.label).toBeTruthy();
        expect(r.delayMs, r.label).toBeGreaterThanOrEqual(0);
      } else {
        expect(r.copies, r.label).toBe(0);
      }
    }
    expect(rows.filter((r) => r.status === "published").map((r) => r.label)).toEqual([
      "ig-image",
      "ig-reel",
      "fb-photo",
      "tt-video",
      "tt-429",
      "tt-refresh",
    ]);
  });

  it("retries the rate-limited post after the 429 and publishes it once", () => {
    const r = row("tt-429");
    expect(r).toMatchObject({ status: "published", copies: 1 });
    const inits = r.calls.filter((c) => c.startsWith("tiktok.init"));
    expect(inits).toEqual(["tiktok.init[rate_limit]", "tiktok.init"]);
    // Retry-After was 2 s: the retry did not come sooner.
    expect(r.delayMs).toBeGreaterThanOrEqual(2_000);
  });

  it("refreshes the expiring token before publishing (the simulator saw the refresh first)", () => {
    const r = row("tt-refresh");
    expect(r).toMatchObject({ status: "published", copies: 1 });
    expect(r.calls.filter((c) => c === "tiktok.refresh")).toHaveLength(1);
    expect(r.calls.indexOf("tiktok.refresh")).toBeLessThan(r.calls.indexOf("tiktok.init"));
  });

  it("fails the bad-media post with its code and a reason a user can act on", () => {
    const r = row("ig-badmedia");
    expect(r).toMatchObject({ status: "failed", copies: 0, lastError: { code: "post.media_invalid" } });
    expect(r.lastError?.message).toMatch(/text\/html/);
  });

  it("refreshes the published posts' metrics (one removed on the platform) and shows a competitor per platform", () => {
    const text = lines.join("\n");
    const published = (ctx.publish?.rows ?? []).filter((r) => r.status === "published");
    expect(text).toMatch(/run run_\S+: ok in/);
    const table = lines.filter((l) => published.some((r) => l.trimStart().startsWith(`${r.label} `)));
    expect(table.filter((l) => /removed on the platform at/.test(l))).toHaveLength(1);
    // Every other published post: one snapshot with values.
    expect(table.filter((l) => /\s1\s+[a-z]+=\d/.test(l))).toHaveLength(published.length - 1);
    expect(text).toMatch(/instagram\s+@rival_studio\s+active\s+.*followers=\d+/);
    expect(text).toMatch(/instagram\s+@no_such_account_here\s+invalid_handle/);
    expect(text).toMatch(/facebook\s+@RivalStudioPage\s+active\s+followers=\d+$/m);
    expect(text).toMatch(/tiktok\s+@rival\.studio\s+unsupported\s+TikTok offers no official API/);
  });

  it("prints the progress and the table, and never a token or a full API key", () => {
    const text = lines.join("\n");
    expect(text).toMatch(/T\+\s*\d+\.\ds │ ig-image/);
    expect(text).toMatch(/^post\s+platform\s+scenario\s+status/m);
    for (const r of ctx.publish?.rows ?? []) expect(text).toContain(r.label);
    expect(text).not.toContain(ctx.apiKey as string);
    expect(text).not.toContain(rt.adminToken);
    // The simulators' token shapes (IGQsim…, EAAsim…, act.…, rft.…).
    expect(text).not.toMatch(/IGQsim|EAAsim|\bact\.[\w-]{8}|\brft\.[\w-]{8}/);
  });
});
