import { describe, expect, it } from "vitest";
import { FaultRegistry } from "../simulators/faults";
import { explainUnconfirmed } from "./explain";
import { FAULT_PLAN, faultMix } from "./faults";
import { evaluate, type FinalPost, percentiles } from "./report";

describe("faultMix", () => {
  it("makes each planned operation fail at the configured rate, with its whole mix", () => {
    const reg = new FaultRegistry(3);
    for (const s of faultMix(0.25)) reg.add(s);
    for (const op of Object.keys(FAULT_PLAN)) {
      const types = new Set<string>();
      let faulted = 0;
      const n = 20_000;
      for (let i = 0; i < n; i++) {
        const f = reg.take(op, "acct");
        if (f) {
          faulted++;
          types.add(f.type);
        }
      }
      expect(faulted / n, op).toBeGreaterThan(0.23);
      expect(faulted / n, op).toBeLessThan(0.27);
      expect(types.size, op).toBe(new Set((FAULT_PLAN[op] ?? []).map(([t]) => t)).size);
    }
    expect(reg.take("media.fetch", "image.jpg")).toBeUndefined();
  });

  it("never injects invalid_grant at random (it legitimately kills an account)", () => {
    expect(faultMix(0.5).filter((f) => f.type === "invalid_grant")).toEqual([]);
    expect(faultMix(0)).toEqual([]);
  });
});

describe("evaluate", () => {
  const post = (id: string, status: string, extra: Partial<FinalPost> = {}): FinalPost => ({
    id,
    accountId: "acc",
    platform: "instagram",
    caption: `c-${id}`,
    status,
    scheduledFor: "2026-01-01T00:00:00.000Z",
    publishedAt: status === "published" ? "2026-01-01T00:00:01.500Z" : null,
    attempts: 1,
    lastError: status === "failed" || status === "unconfirmed" ? { code: "x.y", message: "why" } : null,
    ...extra,
  });

  it("passes a clean run and measures delays", () => {
    const o = evaluate({
      createdIds: ["a", "b", "c"],
      posts: [post("a", "published"), post("b", "failed"), post("c", "unconfirmed")],
      copiesByCaption: new Map([["c-a", 1]]),
    });
    expect(o.ok).toBe(true);
    expect(o.byStatus).toEqual({ published: 1, failed: 1, unconfirmed: 1 });
    expect(o.delayMs).toMatchObject({ n: 1, p50: 1500, max: 1500 });
    expect(o.unconfirmed).toEqual([{ id: "c", platform: "instagram", code: "x.y", message: "why", copies: 0 }]);
  });

  it("breaks on a duplicate, a lost, a stuck, a reasonless, a phantom and a live failed post", () => {
    const o = evaluate({
      createdIds: ["dup", "lost", "stuck", "noreason", "phantom", "livefail"],
      posts: [
        post("dup", "published"),
        post("stuck", "publishing"),
        post("noreason", "failed", { lastError: null }),
        post("phantom", "published"),
        post("livefail", "failed"),
      ],
      copiesByCaption: new Map([
        ["c-dup", 2],
        ["c-livefail", 1],
        ["someone else's", 1],
      ]),
    });
    expect(o.ok).toBe(false);
    expect(Object.fromEntries(o.invariants.map((i) => [i.name, i.ok]))).toEqual({
      "no post published twice": false,
      "no post lost": false,
      "no post stuck": false,
      "every failed/unconfirmed post has a reason": false,
      "published means live": false,
      "failed means not live": false,
      "no stray copies": false,
    });
    expect(o.lost).toEqual(["lost"]);
    expect(o.duplicates).toEqual([{ postId: "dup", caption: "c-dup", copies: 2 }]);
  });

  it("expects every post of the dead account to fail with account.needs_reconnect", () => {
    const o = evaluate({
      createdIds: ["a", "b"],
      posts: [
        post("a", "failed", { accountId: "dead", lastError: { code: "account.needs_reconnect", message: "m" } }),
        post("b", "failed", { accountId: "dead" }),
      ],
      copiesByCaption: new Map(),
      doomedAccountId: "dead",
    });
    expect(o.doomed).toMatchObject({ posts: 2, failedNeedsReconnect: 1 });
    expect(o.ok).toBe(false);
  });
});

describe("percentiles", () => {
  it("uses nearest rank", () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentiles(v)).toEqual({ n: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(percentiles([])).toEqual({ n: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  });
});

describe("explainUnconfirmed", () => {
  const p = (id: string, platform: FinalPost["platform"], code = "post.outcome_unknown"): FinalPost => ({
    id,
    accountId: `acc-${platform}`,
    platform,
    caption: `c-${id}`,
    status: "unconfirmed",
    scheduledFor: null,
    publishedAt: null,
    attempts: 1,
    lastError: { code, message: "why" },
  });
  it("sets each post against the platform's journal: never sent, sent but nothing created, live", () => {
    const { posts, groups } = explainUnconfirmed({
      posts: [
        p("a", "tiktok"),
        p("b", "tiktok"),
        p("c", "facebook", "account.needs_reconnect"),
        p("d", "tiktok"),
        p("e", "tiktok"),
      ],
      accounts: new Map([
        ["acc-tiktok", { externalAccountId: "open_1", status: "active" }],
        ["acc-facebook", { externalAccountId: "100", status: "needs_reconnect" }],
      ]),
      // e: a first init refused (429), the one recorded last (finalCallAt) never arrived.
      studio: new Map([
        ["e", { finalCallAt: new Date(10_000).toISOString(), publishId: null, containerId: null, nextCheckAt: null }],
      ]),
      journal: new Map([
        ["c-b", [{ at: 1, fault: "server_error", answered: 500, created: [] }]],
        ["c-c", [{ at: 2, fault: "response_lost", answered: "cut", created: ["100_9"] }]],
        ["c-d", [{ at: 3, fault: "timeout", answered: "no_answer", created: [] }]],
        ["c-e", [{ at: 4_000, fault: "rate_limit", answered: 429, created: [] }]],
      ]),
      copiesByCaption: new Map([["c-c", 1]]),
    });
    expect(posts.map((e) => [e.id, e.cause, e.reachedPlatform, e.fault, e.live, e.accountStatus])).toEqual([
      ["a", "never_sent", false, null, 0, "active"],
      ["b", "sent_nothing_created", true, "server_error", 0, "active"],
      ["c", "live", true, "response_lost", 1, "needs_reconnect"],
      ["d", "sent_nothing_created", true, "timeout", 0, "active"],
      ["e", "never_sent", true, "rate_limit", 0, "active"],
    ]);
    expect(posts[2]?.why).toContain("reconnect");
    expect(posts[0]?.why).toContain("publish_id");
    expect(groups.map((g) => [g.platform, g.cause, g.count, g.live])).toEqual([
      ["facebook", "live", 1, 1],
      ["tiktok", "never_sent", 2, 0],
      ["tiktok", "sent_nothing_created", 2, 0],
    ]);
  });
});
