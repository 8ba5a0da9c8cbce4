import { describe, expect, it } from "vitest";
import { tokenPolicy } from "../config/tokens";
import { type KeeperView, keeperAction, keeperKeys, nextKeeperAt } from "./keeper-plan";

const NOW = Date.parse("2026-11-28T12:00:00Z");
const H = 3600_000;
const D = 24 * H;
const iso = (ms: number) => new Date(ms).toISOString();

const account = (over: Partial<KeeperView>): KeeperView => ({
  id: "acct_1",
  platform: "instagram",
  status: "active",
  handle: "acme",
  tokenIssuedAt: iso(NOW - 30 * D),
  ...over,
});

describe("token keeper plan", () => {
  describe("Instagram (60-day token, refresh_access_token)", () => {
    it("refreshes a token 1 day from expiry, even one Studio stored an hour ago (it is 59 days old)", () => {
      const a = account({ expiresAt: iso(NOW + D), tokenIssuedAt: iso(NOW - H) });
      expect(keeperAction(a, NOW)).toEqual({ kind: "refresh" });
      expect(nextKeeperAt(a)).toBeLessThanOrEqual(NOW);
    });

    it("leaves a token with 30 days left alone and looks again 10 days before expiry", () => {
      const a = account({ expiresAt: iso(NOW + 30 * D) });
      expect(keeperAction(a, NOW)).toEqual({ kind: "none" });
      expect(nextKeeperAt(a)).toBe(NOW + 20 * D);
    });

    it("waits until a young token is 24 h old (Instagram refuses earlier)", () => {
      const a = account({ expiresAt: iso(NOW + 5 * D), tokenIssuedAt: iso(NOW - H) });
      // expiring in 5 days means 55 days old: refreshable now
      expect(keeperAction(a, NOW)).toEqual({ kind: "refresh" });
      const fresh = account({ expiresAt: iso(NOW + 60 * D - H), tokenIssuedAt: iso(NOW - H) });
      const policy = { ...tokenPolicy, refreshAheadMs: { ...tokenPolicy.refreshAheadMs, instagram: 61 * D } };
      expect(keeperAction(fresh, NOW, policy)).toEqual({ kind: "none" });
      expect(nextKeeperAt(fresh, policy)).toBe(NOW + 23 * H);
    });

    it("marks an expired token at once, with a reason saying why and what to do", () => {
      const action = keeperAction(account({ expiresAt: iso(NOW - H) }), NOW);
      expect(action.kind).toBe("mark");
      expect(action.kind === "mark" && action.reason).toMatch(
        /expired on 2026-11-28 11:00 UTC.*cannot refresh.*Reconnect/,
      );
    });

    it("checks a token connected without an expiry every 12 hours", () => {
      expect(keeperAction(account({}), NOW)).toEqual({ kind: "verify" });
      const checked = account({ tokenCheckedAt: iso(NOW - H) });
      expect(keeperAction(checked, NOW)).toEqual({ kind: "none" });
      expect(nextKeeperAt(checked)).toBe(NOW + 11 * H);
    });
  });

  describe("TikTok (access token via the refresh token)", () => {
    const tiktok = (over: Partial<KeeperView>) => account({ platform: "tiktok", refreshTokenEnc: "enc", ...over });

    it("refreshes the access token 45 minutes ahead", () => {
      expect(keeperAction(tiktok({ expiresAt: iso(NOW + 30 * 60_000) }), NOW)).toEqual({ kind: "refresh" });
      const later = tiktok({ expiresAt: iso(NOW + 24 * H) });
      expect(keeperAction(later, NOW)).toEqual({ kind: "none" });
      expect(nextKeeperAt(later)).toBe(NOW + 24 * H - 45 * 60_000);
    });

    it("warns 14 days before the refresh token itself ends, once", () => {
      const a = tiktok({ expiresAt: iso(NOW + 24 * H), refreshExpiresAt: iso(NOW + 10 * D) });
      const action = keeperAction(a, NOW);
      expect(action).toMatchObject({ kind: "warn", warning: { code: "account.reconnect_soon" } });
      expect(action.kind === "warn" && action.warning.message).toContain("2026-12-08");
      const warned = { ...a, tokenWarning: { code: "account.reconnect_soon", message: "…" } };
      expect(keeperAction(warned, NOW)).toEqual({ kind: "none" });
      expect(nextKeeperAt(warned)).toBe(NOW + 24 * H - 45 * 60_000);
    });

    it("marks the account when the access token is due and the refresh token has ended", () => {
      const a = tiktok({ expiresAt: iso(NOW + 10 * 60_000), refreshExpiresAt: iso(NOW - H) });
      const action = keeperAction(a, NOW);
      expect(action.kind).toBe("mark");
      expect(action.kind === "mark" && action.reason).toMatch(/authorization of @acme ended.*Reconnect/);
      expect(keeperAction(tiktok({ refreshTokenEnc: undefined, expiresAt: iso(NOW + 60_000) }), NOW).kind).toBe("mark");
    });
  });

  describe("Facebook (page tokens: no refresh)", () => {
    const page = (over: Partial<KeeperView>) => account({ platform: "facebook", tokenIssuedAt: undefined, ...over });

    it("checks a token that never expires every 12 hours", () => {
      expect(keeperAction(page({}), NOW)).toEqual({ kind: "verify" });
      expect(nextKeeperAt(page({ tokenCheckedAt: iso(NOW) }))).toBe(NOW + 12 * H);
    });

    it("warns ahead of an expiry it cannot push back, and marks at it", () => {
      expect(keeperAction(page({ expiresAt: iso(NOW + 3 * D), tokenCheckedAt: iso(NOW) }), NOW).kind).toBe("warn");
      expect(keeperAction(page({ expiresAt: iso(NOW - 1) }), NOW).kind).toBe("mark");
    });
  });

  it("keeps accounts that are not active out of the index, and never plans sooner than 5 minutes after acting", () => {
    expect(keeperKeys(account({ status: "needs_reconnect", expiresAt: iso(NOW + D) }), NOW)).toEqual({
      remove: ["keeperShard", "keeperAt"],
    });
    const a = account({ expiresAt: iso(NOW + D) });
    const keys = keeperKeys(a, NOW, { acted: true });
    expect("set" in keys && keys.set.keeperAt).toBe(iso(NOW + 5 * 60_000));
    expect("set" in keys && keys.set.keeperShard).toBeGreaterThanOrEqual(0);
  });
});
