import { type Simulators, startSimulators } from "@studio/local/simulators/index";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PlatformError } from "./errors";
import { adapters } from "./index";
import type { AccountCredentials, TikTokAdapter } from "./types";

let sims: Simulators;
let tt: TikTokAdapter;

async function failure(p: Promise<unknown>): Promise<PlatformError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PlatformError) return e;
    throw e;
  }
  throw new Error("expected a PlatformError");
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  sims = await startSimulators({ port: 0 });
  process.env.STUDIO_TIKTOK_API_URL = sims.tiktokUrl;
  process.env.STUDIO_TIKTOK_CLIENT_KEY = "sim-key";
  process.env.STUDIO_TIKTOK_CLIENT_SECRET = "sim-secret";
  tt = adapters({ timeoutMs: 1_000 }).tiktok;
});
afterAll(() => sims.stop());
beforeEach(() => {
  sims.control.reset();
  sims.control.config({
    tiktokDownloadMs: 40,
    tiktokCompleteMs: 100,
    tiktokStatusPerMinute: 10_000,
    tiktokClientKey: "sim-key",
    tiktokClientSecret: "sim-secret",
  });
});

const creator = () => {
  const a = sims.control.registerAccount({ platform: "tiktok" });
  return { a, creds: { externalAccountId: a.accountId, accessToken: a.accessToken } as AccountCredentials };
};
const video = (name = "video.mp4") => `${sims.mediaUrl}/${name}`;

describe("TikTok adapter against the simulator", () => {
  it("creator_info → init → PROCESSING → PUBLISH_COMPLETE → in recent videos", async () => {
    const { creds } = creator();
    const info = await tt.creatorInfo(creds);
    expect(info.privacyLevelOptions).toContain("SELF_ONLY");
    expect(info.maxVideoPostDurationSec).toBe(600);

    sims.control.config({ tiktokDownloadMs: 10_000, tiktokCompleteMs: 20_000 });
    const { publishId } = await tt.initVideo(creds, {
      title: "tt hello",
      videoUrl: video(),
      privacyLevel: "SELF_ONLY",
    });
    expect((await tt.publishStatus(creds, publishId)).status).toBe("PROCESSING_DOWNLOAD");
    expect(await tt.recentVideos(creds)).toEqual([]);
    sims.control.advanceClock(10_000);
    expect((await tt.publishStatus(creds, publishId)).status).toBe("PROCESSING_UPLOAD");
    sims.control.advanceClock(10_000);
    const done = await tt.publishStatus(creds, publishId);
    expect(done.status).toBe("PUBLISH_COMPLETE");
    expect(done.postIds).toHaveLength(1);
    expect((await tt.recentVideos(creds)).map((v) => [v.id, v.caption])).toEqual([[done.postIds![0], "tt hello"]]);
    expect(sims.control.published({ platform: "tiktok", caption: "tt hello" })[0]?.count).toBe(1);
  });

  it("an error inside HTTP 200 is still an error", async () => {
    const { creds } = creator();
    sims.control.addFault({
      operation: "tiktok.creator_info",
      type: "error",
      status: 200,
      code: "access_token_invalid",
    });
    const e = await failure(tt.creatorInfo(creds));
    expect([e.kind, e.httpStatus, e.platformCode]).toEqual(["auth", 200, "access_token_invalid"]);
    sims.control.addFault({ operation: "tiktok.init", type: "error", status: 200, code: "spam_risk_too_many_posts" });
    const spam = await failure(tt.initVideo(creds, { title: "x", videoUrl: video(), privacyLevel: "SELF_ONLY" }));
    expect([spam.kind, spam.code]).toEqual(["rate_limited", "platform.daily_limit"]);
    expect(sims.control.published()).toEqual([]);
  });

  it("refresh rotates the refresh token: the new pair works, the old refresh token is dead", async () => {
    const { a } = creator();
    const t = await tt.refreshToken(a.refreshToken!);
    expect(t.accessToken).not.toBe(a.accessToken);
    expect(t.refreshToken).toBeTruthy();
    expect(t.refreshToken).not.toBe(a.refreshToken);
    expect(Date.parse(t.expiresAt!)).toBeGreaterThan(Date.now());
    expect(Date.parse(t.refreshExpiresAt!)).toBeGreaterThan(Date.parse(t.expiresAt!));
    await tt.creatorInfo({ externalAccountId: a.accountId, accessToken: t.accessToken });

    const old = await failure(tt.refreshToken(a.refreshToken!));
    expect([old.kind, old.code, old.platformCode]).toEqual(["reconnect", "account.needs_reconnect", "invalid_grant"]);
    expect(old.message).not.toContain(a.refreshToken!);
    expect((await tt.refreshToken(t.refreshToken!)).accessToken).toBeTruthy();
  });

  it("refresh failures: 5xx and timeouts are retryable, invalid_grant is reconnect, wrong app credentials permanent", async () => {
    const { a } = creator();
    sims.control.addFault({ operation: "tiktok.refresh", type: "server_error" });
    expect((await failure(tt.refreshToken(a.refreshToken!))).kind).toBe("retryable");
    sims.control.addFault({ operation: "tiktok.refresh", type: "timeout" });
    expect((await failure(adapters({ timeoutMs: 150 }).tiktok.refreshToken(a.refreshToken!))).kind).toBe("retryable");
    sims.control.addFault({ operation: "tiktok.refresh", type: "invalid_grant" });
    expect((await failure(tt.refreshToken(a.refreshToken!))).kind).toBe("reconnect");
    sims.control.config({ tiktokClientSecret: "another" });
    expect((await failure(tt.refreshToken(a.refreshToken!))).code).toBe("platform.client_invalid");
  });

  it("an expired access token is auth", async () => {
    const a = sims.control.registerAccount({ platform: "tiktok", expiresInSec: -5 });
    const e = await failure(tt.creatorInfo({ externalAccountId: a.accountId, accessToken: a.accessToken }));
    expect([e.kind, e.httpStatus, e.platformCode]).toEqual(["auth", 401, "access_token_invalid"]);
  });

  it("init's answer lost after the publish was created → unknown_outcome; one copy; visible once complete", async () => {
    const { creds } = creator();
    sims.control.addFault({ operation: "tiktok.init", type: "response_lost" });
    const e = await failure(tt.initVideo(creds, { title: "lost init", videoUrl: video(), privacyLevel: "SELF_ONLY" }));
    expect([e.kind, e.code]).toEqual(["unknown_outcome", "platform.outcome_unknown"]);
    expect(sims.control.published({ caption: "lost init" })[0]?.count).toBe(1);
    const videos = await until(
      () => tt.recentVideos(creds),
      (v) => v.length > 0,
    );
    expect(videos.map((v) => v.caption)).toEqual(["lost init"]);
  });

  it("rate_limit_exceeded: injected, and for real after 6 inits a minute", async () => {
    const { creds } = creator();
    sims.control.addFault({ operation: "tiktok.status", type: "rate_limit", retryAfterSec: 5 });
    const e = await failure(tt.publishStatus(creds, "v_pub_url~none"));
    expect([e.kind, e.httpStatus, e.retryAfterMs]).toEqual(["rate_limited", 429, 5_000]);

    sims.control.config({ tiktokInitPerMinute: 2 });
    const input = { title: "limit", videoUrl: video(), privacyLevel: "SELF_ONLY" };
    await tt.initVideo(creds, input);
    await tt.initVideo(creds, { ...input, title: "limit 2" });
    const limited = await failure(tt.initVideo(creds, { ...input, title: "limit 3" }));
    expect([limited.kind, limited.platformCode]).toEqual(["rate_limited", "rate_limit_exceeded"]);
    expect(sims.control.published({ caption: "limit 3" })).toEqual([]);
  });

  it("a wrong file or an injected failure ends FAILED with the platform's reason", async () => {
    const { creds } = creator();
    const { publishId } = await tt.initVideo(creds, {
      title: "html",
      videoUrl: video("wrong-type.mp4"),
      privacyLevel: "SELF_ONLY",
    });
    const s = await until(
      () => tt.publishStatus(creds, publishId),
      (v) => v.status === "FAILED" || v.status === "PUBLISH_COMPLETE",
    );
    expect(s).toEqual({ status: "FAILED", failReason: "file_format_check_failed" });

    sims.control.addFault({ operation: "tiktok.init", type: "publish_failed", failReason: "duration_check_failed" });
    const other = await tt.initVideo(creds, { title: "long", videoUrl: video(), privacyLevel: "SELF_ONLY" });
    const s2 = await until(
      () => tt.publishStatus(creds, other.publishId),
      (v) => v.status === "FAILED" || v.status === "PUBLISH_COMPLETE",
    );
    expect(s2).toEqual({ status: "FAILED", failReason: "duration_check_failed" });
    expect(sims.control.published()).toEqual([]);
  });

  it("internal_error: retryable on status, unknown_outcome on init; bad privacy level is permanent", async () => {
    const { creds } = creator();
    sims.control.addFault({ operation: "tiktok.status", type: "server_error" });
    expect((await failure(tt.publishStatus(creds, "x"))).kind).toBe("retryable");
    sims.control.addFault({ operation: "tiktok.init", type: "server_error" });
    expect(
      (await failure(tt.initVideo(creds, { title: "x", videoUrl: video(), privacyLevel: "SELF_ONLY" }))).kind,
    ).toBe("unknown_outcome");
    const bad = await failure(tt.initVideo(creds, { title: "x", videoUrl: video(), privacyLevel: "EVERYONE!" }));
    expect([bad.kind, bad.platformCode]).toEqual(["permanent", "privacy_level_option_mismatch"]);
    expect(sims.control.published()).toEqual([]);
  });
});
