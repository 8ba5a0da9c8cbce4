import { type Simulators, startSimulators } from "@studio/local/simulators/index";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isHighUsage, type PlatformUsage } from "./classify";
import { PlatformError } from "./errors";
import { adapters } from "./index";
import type { AccountCredentials, InstagramAdapter } from "./types";

let sims: Simulators;
let ig: InstagramAdapter;
const usage: PlatformUsage[] = [];

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
  // Prepare: one simulator process for the file, env pointing the adapters at it.
  sims = await startSimulators({ port: 0 });
  process.env.STUDIO_INSTAGRAM_API_URL = sims.instagramUrl;
  ig = adapters({ timeoutMs: 1_000, onUsage: ({ usage: u }) => usage.push(u) }).instagram;
});
afterAll(() => sims.stop());
beforeEach(() => {
  sims.control.reset();
  sims.control.config({ containerReadyMs: 60 });
});

const account = (): AccountCredentials => {
  const a = sims.control.registerAccount({ platform: "instagram" });
  return { externalAccountId: a.accountId, accessToken: a.accessToken };
};
const image = () => ({ url: `${sims.mediaUrl}/image.jpg`, type: "image" as const });

async function readyContainer(creds: AccountCredentials, caption: string) {
  const { containerId } = await ig.createContainer(creds, { caption, media: [image()] });
  await until(
    () => ig.containerStatus(creds, containerId),
    (s) => s.statusCode === "FINISHED",
  );
  return containerId;
}

describe("Instagram adapter against the simulator", () => {
  it("publishes an image: container → IN_PROGRESS → FINISHED → media_publish → in recent media", async () => {
    // The simulated clock makes "takes time" deterministic.
    sims.control.config({ containerReadyMs: 60_000 });
    const creds = account();
    const { containerId } = await ig.createContainer(creds, { caption: "hello ig", media: [image()] });
    expect((await ig.containerStatus(creds, containerId)).statusCode).toBe("IN_PROGRESS");
    sims.control.advanceClock(60_000);
    expect((await ig.containerStatus(creds, containerId)).statusCode).toBe("FINISHED");

    const { mediaId } = await ig.publishContainer(creds, containerId);

    expect((await ig.containerStatus(creds, containerId)).statusCode).toBe("PUBLISHED");
    const recent = await ig.recentMedia(creds);
    expect(recent).toEqual([expect.objectContaining({ id: mediaId, caption: "hello ig" })]);
    expect(Date.parse(recent[0]!.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(await ig.publishingLimit(creds)).toEqual({ used: 1, limit: 50 });
    expect(sims.control.published({ platform: "instagram", caption: "hello ig" })).toEqual([
      expect.objectContaining({ accountId: creds.externalAccountId, count: 1, ids: [mediaId] }),
    ]);
  });

  it("publishes a video as a reel", async () => {
    const creds = account();
    const { containerId } = await ig.createContainer(creds, {
      caption: "reel",
      media: [{ url: `${sims.mediaUrl}/video.mp4`, type: "video" }],
    });
    await until(
      () => ig.containerStatus(creds, containerId),
      (s) => s.statusCode !== "IN_PROGRESS",
    );
    const { mediaId } = await ig.publishContainer(creds, containerId);
    expect(mediaId).toMatch(/^\d+$/);
  });

  it("media_publish before FINISHED is retryable (not ready), and publishes nothing", async () => {
    sims.control.config({ containerReadyMs: 60_000 });
    const creds = account();
    const { containerId } = await ig.createContainer(creds, { caption: "early", media: [image()] });
    const e = await failure(ig.publishContainer(creds, containerId));
    expect([e.kind, e.code]).toEqual(["retryable", "platform.not_ready"]);
    expect(sims.control.published()).toEqual([]);
  });

  it("a missing or non-image file is refused at container creation as post.media_invalid", async () => {
    const creds = account();
    for (const name of ["missing.jpg", "wrong-type.jpg"]) {
      const e = await failure(
        ig.createContainer(creds, { caption: "x", media: [{ url: `${sims.mediaUrl}/${name}`, type: "image" }] }),
      );
      expect([e.kind, e.code, e.platformSubcode]).toEqual(["permanent", "post.media_invalid", "2207052"]);
    }
  });

  it("a wrong video ends as a container ERROR with its subcode", async () => {
    const creds = account();
    const { containerId } = await ig.createContainer(creds, {
      caption: "bad video",
      media: [{ url: `${sims.mediaUrl}/wrong-type.mp4`, type: "video" }],
    });
    const s = await until(
      () => ig.containerStatus(creds, containerId),
      (v) => v.statusCode !== "IN_PROGRESS",
    );
    expect(s).toEqual({ statusCode: "ERROR", status: "2207026" });
  });

  describe("tokens", () => {
    it("an expired token is auth (190/463); refreshing it is reconnect", async () => {
      const a = sims.control.registerAccount({ platform: "instagram", expiresInSec: -1 });
      const creds = { externalAccountId: a.accountId, accessToken: a.accessToken };
      const e = await failure(ig.createContainer(creds, { caption: "x", media: [image()] }));
      expect([e.kind, e.platformCode, e.platformSubcode]).toEqual(["auth", "190", "463"]);
      const r = await failure(ig.refreshToken(a.accessToken));
      expect([r.kind, r.code]).toEqual(["reconnect", "account.needs_reconnect"]);
      expect(r.message).not.toContain(a.accessToken);
    });

    it("refresh issues a new working token with a new expiry", async () => {
      const creds = account();
      const t = await ig.refreshToken(creds.accessToken);
      expect(t.accessToken).not.toBe(creds.accessToken);
      expect(Date.parse(t.expiresAt!)).toBeGreaterThan(Date.now() + 59 * 86_400_000);
      const { containerId } = await ig.createContainer(
        { ...creds, accessToken: t.accessToken },
        { caption: "after refresh", media: [image()] },
      );
      expect(containerId).toBeTruthy();
    });

    it("a refresh that hits a 5xx or a timeout is retryable, not reconnect", async () => {
      const creds = account();
      sims.control.addFault({ operation: "instagram.refresh", type: "server_error", status: 503 });
      expect((await failure(ig.refreshToken(creds.accessToken))).kind).toBe("retryable");
      sims.control.addFault({ operation: "instagram.refresh", type: "timeout" });
      const fast = adapters({ timeoutMs: 150 }).instagram;
      expect((await failure(fast.refreshToken(creds.accessToken))).kind).toBe("retryable");
    });

    it("a revoked session (password changed, 190/460) is auth first", async () => {
      const creds = account();
      sims.control.revokeAccount("instagram", creds.externalAccountId);
      const e = await failure(ig.recentMedia(creds));
      expect([e.kind, e.platformSubcode]).toEqual(["auth", "460"]);
    });
  });

  describe("faults", () => {
    it("response lost after media_publish took effect → unknown_outcome, and exactly one copy exists", async () => {
      const creds = account();
      const containerId = await readyContainer(creds, "lost answer");
      sims.control.addFault({ operation: "instagram.media_publish", type: "response_lost" });

      const e = await failure(ig.publishContainer(creds, containerId));

      expect([e.kind, e.code]).toEqual(["unknown_outcome", "platform.outcome_unknown"]);
      expect(sims.control.published({ caption: "lost answer" })[0]?.count).toBe(1);
      // Reconciliation can tell: the container says PUBLISHED and the media is listed.
      expect((await ig.containerStatus(creds, containerId)).statusCode).toBe("PUBLISHED");
      expect((await ig.recentMedia(creds)).map((m) => m.caption)).toEqual(["lost answer"]);
      // A blind retry would not create a second copy either.
      expect((await failure(ig.publishContainer(creds, containerId))).kind).toBe("unknown_outcome");
      expect(sims.control.published({ caption: "lost answer" })[0]?.count).toBe(1);
    });

    it("a hang after the post went live → timeout → unknown_outcome; one copy", async () => {
      const creds = account();
      const containerId = await readyContainer(creds, "hung");
      sims.control.addFault({ operation: "instagram.media_publish", type: "response_lost", mode: "hang" });
      const fast = adapters({ timeoutMs: 200 }).instagram;
      const e = await failure(fast.publishContainer(creds, containerId));
      expect([e.kind, e.code]).toEqual(["unknown_outcome", "platform.outcome_unknown"]);
      expect(sims.control.published({ caption: "hung" })[0]?.count).toBe(1);
    });

    it("a timeout before anything happened: unknown_outcome on the final call, retryable on a GET", async () => {
      const creds = account();
      const containerId = await readyContainer(creds, "timeout");
      const fast = adapters({ timeoutMs: 150 }).instagram;
      sims.control.addFault({ operation: "instagram.media_publish", type: "timeout" });
      expect((await failure(fast.publishContainer(creds, containerId))).kind).toBe("unknown_outcome");
      expect(sims.control.published()).toEqual([]);
      sims.control.addFault({ operation: "instagram.container_status", type: "timeout" });
      const e = await failure(fast.containerStatus(creds, containerId));
      expect([e.kind, e.code]).toEqual(["retryable", "platform.timeout"]);
    });

    it("action blocked (2207051) on a post that went live anyway → unknown_outcome; one copy", async () => {
      const creds = account();
      const containerId = await readyContainer(creds, "blocked");
      sims.control.addFault({ operation: "instagram.media_publish", type: "blocked_but_live" });
      const e = await failure(ig.publishContainer(creds, containerId));
      expect([e.kind, e.code, e.platformSubcode]).toEqual(["unknown_outcome", "platform.action_blocked", "2207051"]);
      expect(sims.control.published({ caption: "blocked" })[0]?.count).toBe(1);
    });

    it("5xx: retryable on a container, unknown_outcome on media_publish (and nothing published)", async () => {
      const creds = account();
      sims.control.addFault({ operation: "instagram.container_create", type: "server_error" });
      expect((await failure(ig.createContainer(creds, { caption: "x", media: [image()] }))).kind).toBe("retryable");
      const containerId = await readyContainer(creds, "5xx");
      sims.control.addFault({ operation: "instagram.media_publish", type: "server_error", status: 503 });
      expect((await failure(ig.publishContainer(creds, containerId))).kind).toBe("unknown_outcome");
      expect(sims.control.published()).toEqual([]);
      // Reconciliation: FINISHED proves the retry is safe.
      expect((await ig.containerStatus(creds, containerId)).statusCode).toBe("FINISHED");
      await ig.publishContainer(creds, containerId);
      expect(sims.control.published({ caption: "5xx" })[0]?.count).toBe(1);
    });

    it("429 with Retry-After → rate_limited with that wait", async () => {
      const creds = account();
      sims.control.addFault({ operation: "instagram.container_create", type: "rate_limit", retryAfterSec: 42 });
      const e = await failure(ig.createContainer(creds, { caption: "x", media: [image()] }));
      expect([e.kind, e.httpStatus, e.retryAfterMs]).toEqual(["rate_limited", 429, 42_000]);
    });

    it.each([4, 17, 32, 613])("throttling code %i → rate_limited, wait from the usage headers", async (code) => {
      const creds = account();
      sims.control.addFault({ operation: "instagram.*", type: "throttle", code, regainMinutes: 3 });
      const e = await failure(ig.recentMedia(creds));
      expect([e.kind, e.platformCode, e.retryAfterMs]).toEqual(["rate_limited", String(code), 180_000]);
    });

    it("usage at 95% on a successful answer is reported so the engine can slow down", async () => {
      const creds = account();
      usage.length = 0;
      sims.control.addFault({ operation: "instagram.recent_media", type: "usage_high", usagePercent: 95 });
      await ig.recentMedia(creds);
      expect(usage.some((u) => isHighUsage(u) && u.maxPercent === 95)).toBe(true);
      usage.length = 0;
      await ig.recentMedia(creds);
      expect(usage.some((u) => isHighUsage(u))).toBe(false);
    });

    it("the hourly call budget is real state: usage rises in the headers, then 80002 → rate_limited", async () => {
      sims.control.config({ graphCallsPerHourPerAccount: 4 });
      const creds = account();
      usage.length = 0;
      for (let i = 0; i < 4; i++) await ig.recentMedia(creds);
      expect(usage.map((u) => u.maxPercent)).toEqual([0, 25, 50, 75]);
      const e = await failure(ig.recentMedia(creds));
      expect([e.kind, e.platformCode, e.retryAfterMs]).toEqual(["rate_limited", "80002", 60 * 60_000]);
      sims.control.advanceClock(3_600_000);
      expect(await ig.recentMedia(creds)).toEqual([]);
    });

    it("the rolling 24 h publishing limit is real state: 2207042 → rate_limited", async () => {
      sims.control.config({ instagramPublishLimit: 1 });
      const creds = account();
      await ig.publishContainer(creds, await readyContainer(creds, "one"));
      const e = await failure(ig.publishContainer(creds, await readyContainer(creds, "two")));
      expect([e.kind, e.code, e.retryAfterMs]).toEqual(["rate_limited", "platform.daily_limit", 86_400_000]);
      expect(await ig.publishingLimit(creds)).toEqual({ used: 1, limit: 1 });
      expect(sims.control.published().map((g) => g.caption)).toEqual(["one"]);
    });

    it("container ERROR and EXPIRED faults", async () => {
      const creds = account();
      sims.control.addFault({ operation: "instagram.container_create", type: "container_error", subcode: 2207053 });
      const { containerId } = await ig.createContainer(creds, { caption: "err", media: [image()] });
      expect(
        await until(
          () => ig.containerStatus(creds, containerId),
          (s) => s.statusCode !== "IN_PROGRESS",
        ),
      ).toEqual({ statusCode: "ERROR", status: "2207053" });

      const other = await readyContainer(creds, "exp");
      sims.control.addFault({ operation: "instagram.container_status", type: "container_expired" });
      expect((await ig.containerStatus(creds, other)).statusCode).toBe("EXPIRED");
      const e = await failure(ig.publishContainer(creds, other));
      expect([e.kind, e.code]).toEqual(["unknown_outcome", "platform.container_unusable"]);
      expect(sims.control.published()).toEqual([]);
    });

    it("containers expire on the simulated clock", async () => {
      const creds = account();
      const id = await readyContainer(creds, "old");
      sims.control.advanceClock(24 * 3_600_000 + 1);
      expect((await ig.containerStatus(creds, id)).statusCode).toBe("EXPIRED");
    });

    it("a socket reset before anything happened on a POST is unknown_outcome (the client cannot tell)", async () => {
      const creds = account();
      sims.control.addFault({ operation: "instagram.container_create", type: "reset" });
      const e = await failure(ig.createContainer(creds, { caption: "x", media: [image()] }));
      expect(e.kind).toBe("unknown_outcome");
    });

    it("connection refused is retryable", async () => {
      const dead = await startSimulators({ port: 0 });
      await dead.stop();
      process.env.STUDIO_INSTAGRAM_API_URL = dead.instagramUrl;
      try {
        const e = await failure(adapters().instagram.publishContainer(account(), "1"));
        expect([e.kind, e.code]).toEqual(["retryable", "platform.unreachable"]);
      } finally {
        process.env.STUDIO_INSTAGRAM_API_URL = sims.instagramUrl;
      }
    });

    it("faults through the HTTP control API: rate with a seed, per account, then cleared", async () => {
      const creds = account();
      const other = account();
      const res = await fetch(`${sims.controlUrl}/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          seed: 7,
          faults: [
            { operation: "instagram.recent_media", type: "server_error", rate: 1, accountId: creds.externalAccountId },
          ],
        }),
      });
      expect(res.status).toBe(201);
      expect((await failure(ig.recentMedia(creds))).kind).toBe("retryable");
      expect((await failure(ig.recentMedia(creds))).kind).toBe("retryable");
      expect(await ig.recentMedia(other)).toEqual([]);
      expect((await fetch(`${sims.controlUrl}/faults`, { method: "DELETE" })).status).toBe(200);
      expect(await ig.recentMedia(creds)).toEqual([]);
      const calls = (await (await fetch(`${sims.controlUrl}/calls?operation=instagram.recent_media`)).json()) as {
        counts: Record<string, number>;
      };
      expect(calls.counts["instagram.recent_media"]).toBe(4);
    });
  });
});
