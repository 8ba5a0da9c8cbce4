import { setTimeout as sleep } from "node:timers/promises";
import { db } from "@studio/core/db/service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRequest } from "../simulators/control";
import { startTestStudio, type TestStudio } from "../testing/studio";

/**
 * The token keeper (issue 7, part 5) through the local runtime: its schedule (every second
 * here), the tokens queue and its poller, the simulators over real HTTP. And the publish
 * worker's side of the same rule: an answer about an old token never marks a reconnected
 * account.
 */

interface AccountView {
  id: string;
  status: string;
  statusReason: string | null;
  expiresAt: string | null;
  warnings: Array<{ code: string; message: string }>;
}

async function accountOf(s: TestStudio, key: string, id: string): Promise<AccountView> {
  const res = await s.api<{ items: AccountView[] }>("GET", "/v1/accounts?limit=100", undefined, key);
  const found = res.body.items.find((a) => a.id === id);
  if (!found) throw new Error(`account ${id} not listed`);
  return found;
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await read();
    if (ok(last)) return last;
    await sleep(100);
  }
  throw new Error(`${what}: not reached in ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

const calls = (s: TestStudio, operation: string, accountId: string) =>
  s.sims.control.calls({ operation, accountId }).length;

describe("token keeper (connected)", () => {
  let s: TestStudio;
  let key: string;

  beforeAll(async () => {
    s = await startTestStudio({
      schedules: {
        only: ["publishDispatcher", "tokenKeeper"],
        periodSeconds: { publishDispatcher: 1, tokenKeeper: 1 },
      },
      pollers: ["publish", "tokens"],
    });
    ({ key } = await s.workspace());
  });
  afterAll(() => s?.stop());

  it("refreshes an Instagram token 1 day from expiry with no post due, once, and records its runs", async () => {
    const acct = await s.connect(key, "instagram", { expiresInSec: 24 * 3600 });
    const before = Date.now();
    const refreshed = await until(
      "token refreshed",
      () => accountOf(s, key, acct.id),
      (a) => a.expiresAt !== null && Date.parse(a.expiresAt) > before + 50 * 24 * 3600_000,
    );
    expect(refreshed.status).toBe("active");
    const { data } = await db().entities.account.get({ id: acct.id }).go();
    expect(data?.tokenVersion).toBe(1);
    // Next look ~50 days ahead: the schedule keeps firing every second, and does not refresh again.
    expect(Date.parse(data?.keeperAt as string)).toBeGreaterThan(before + 40 * 24 * 3600_000);
    await sleep(2_500);
    expect(calls(s, "instagram.refresh", acct.externalAccountId)).toBe(1);
    // The run that sent it finished once its one part (the refresh) reported (GET /v1/ops/jobs).
    const jobs = await s.api<{
      items: Array<{ status: string; finishedAt: string | null; counts: Record<string, number> }>;
    }>("GET", "/v1/ops/jobs?kind=tokenKeeper&limit=100");
    expect(jobs.status).toBe(200);
    const sent = jobs.body.items.filter((r) => (r.counts.accountsSent ?? 0) >= 1);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.some((r) => r.status === "ok" && r.finishedAt !== null && r.counts.refreshed === 1)).toBe(true);
  });

  it("marks an already expired Instagram token at once: a clear reason, no refresh call, no retry", async () => {
    const acct = await s.connect(key, "instagram", { expiresInSec: -3600 });
    const marked = await until(
      "account marked",
      () => accountOf(s, key, acct.id),
      (a) => a.status === "needs_reconnect",
    );
    expect(marked.statusReason).toMatch(/expired on .*cannot refresh an expired token\. Reconnect the account\./);
    await sleep(2_000); // several schedule runs: the account is out of the keeper's index
    expect(calls(s, "instagram.refresh", acct.externalAccountId)).toBe(0);
    const { data } = await db().entities.account.get({ id: acct.id }).go();
    expect(data?.keeperAt).toBeUndefined();
    const created = await s.api<{ id: string }>(
      "POST",
      "/v1/posts",
      { accountId: acct.id, caption: "after expiry", media: [s.media("image.jpg")] },
      key,
    );
    const res = await s.api(
      "POST",
      `/v1/posts/${created.body.id}/schedule`,
      { scheduledFor: new Date(Date.now() + 3600_000).toISOString() },
      key,
    );
    expect(res).toMatchObject({ status: 409, body: { error: { code: "account.needs_reconnect" } } });
  });

  it("marks the account when a refresh fails for good, before its scheduled post falls due", async () => {
    const sim = s.sims.control.registerAccount({ platform: "tiktok" });
    const connected = await s.api<{ id: string }>("POST", "/v1/accounts", connectRequest(sim), key);
    const id = connected.body.id;
    const post = await s.schedule(key, id, {
      caption: "due in ten minutes",
      media: [s.media("video.mp4")],
      inMs: 600_000,
    });
    // The refresh token dies; the access token is now 30 minutes from expiry (a reconnect with such a token).
    s.sims.control.addFault({ operation: "tiktok.refresh", type: "invalid_grant", accountId: sim.accountId, times: 5 });
    const soon = s.sims.control.registerAccount({ platform: "tiktok", accountId: sim.accountId, expiresInSec: 1800 });
    expect((await s.api("POST", "/v1/accounts", connectRequest(soon), key)).status).toBe(201);

    const marked = await until(
      "account marked",
      () => accountOf(s, key, id),
      (a) => a.status === "needs_reconnect",
    );
    expect(marked.statusReason).toMatch(/refused to refresh the token .*invalid_grant.*Reconnect the account\./);
    const still = await s.api<{ status: string; scheduledFor: string }>("GET", `/v1/posts/${post.id}`, undefined, key);
    expect(still.body.status).toBe("scheduled");
    expect(Date.parse(still.body.scheduledFor)).toBeGreaterThan(Date.now() + 5 * 60_000);
    expect(calls(s, "tiktok.refresh", sim.accountId)).toBe(1); // a dead refresh token is not asked again
    await s.api("POST", `/v1/posts/${post.id}/cancel`, {}, key);
  });

  it("warns on the account 14 days before TikTok's authorization ends", async () => {
    const sim = s.sims.control.registerAccount({ platform: "tiktok" });
    const ends = new Date(Date.now() + 10 * 24 * 3600_000).toISOString();
    const res = await s.api<{ id: string }>(
      "POST",
      "/v1/accounts",
      { ...connectRequest(sim), refreshExpiresAt: ends },
      key,
    );
    const warned = await until(
      "warning",
      () => accountOf(s, key, res.body.id),
      (a) => a.warnings.length > 0,
    );
    expect(warned.status).toBe("active");
    expect(warned.warnings).toEqual([
      { code: "account.reconnect_soon", message: expect.stringContaining(ends.slice(0, 10)) },
    ]);
  });

  it("does not mark a reconnected Facebook page when a check with the old token gets a 190", async () => {
    const sim = s.sims.control.registerAccount({ platform: "facebook" });
    // The keeper's first check of the page (its token never expires) hangs 4 s, then meets a revoked token.
    s.sims.control.addFault({
      operation: "facebook.recent_posts",
      type: "slow",
      delayMs: 4_000,
      accountId: sim.accountId,
    });
    const connected = await s.api<{ id: string }>("POST", "/v1/accounts", connectRequest(sim), key);
    await until(
      "keeper check started",
      async () => calls(s, "facebook.recent_posts", sim.accountId),
      (n) => n >= 1,
    );
    s.sims.control.revokeAccount("facebook", sim.accountId);
    const fresh = s.sims.control.registerAccount({ platform: "facebook", accountId: sim.accountId });
    expect((await s.api("POST", "/v1/accounts", connectRequest(fresh), key)).status).toBe(201);

    // The old check answers 190 after the reconnect; the new token is checked and works.
    const checked = await until(
      "new token checked",
      () => db().entities.account.get({ id: connected.body.id }).go(),
      (r) => r.data?.tokenCheckedAt !== undefined,
    );
    await until(
      "old check answered",
      async () => calls(s, "facebook.recent_posts", sim.accountId),
      (n) => n >= 2,
    );
    await sleep(4_500);
    expect(checked.data?.tokenVersion).toBe(1);
    const account = await accountOf(s, key, connected.body.id);
    expect(account).toMatchObject({ status: "active", statusReason: null });
  });
});

describe("publish worker and token versions (connected)", () => {
  let s: TestStudio;
  let key: string;

  const lease = process.env.STUDIO_LEASE_MS;
  beforeAll(async () => {
    // A final call that takes 4 s must not lose its lease to the sweep (3 s in other tests).
    process.env.STUDIO_LEASE_MS = "30000";
    s = await startTestStudio(); // no keeper: the worker alone meets the tokens
    ({ key } = await s.workspace());
  });
  afterAll(async () => {
    await s?.stop();
    if (lease === undefined) delete process.env.STUDIO_LEASE_MS;
    else process.env.STUDIO_LEASE_MS = lease;
  });

  it("a reconnect while a post is in flight with the old token: account stays active, post published once", async () => {
    const sim = s.sims.control.registerAccount({ platform: "facebook" });
    const connected = await s.api<{ id: string }>("POST", "/v1/accounts", connectRequest(sim), key);
    // The final call holds the old token for 4 s; meanwhile the user reconnects and the old token dies.
    s.sims.control.addFault({
      operation: "facebook.create_post",
      type: "slow",
      delayMs: 4_000,
      accountId: sim.accountId,
    });
    const caption = `in flight ${Date.now()}`;
    const post = await s.schedule(key, connected.body.id, { caption, media: [], inMs: 6_000 });
    await until(
      "final call sent",
      async () => calls(s, "facebook.create_post", sim.accountId),
      (n) => n >= 1,
    );
    s.sims.control.revokeAccount("facebook", sim.accountId);
    const fresh = s.sims.control.registerAccount({ platform: "facebook", accountId: sim.accountId });
    expect((await s.api("POST", "/v1/accounts", connectRequest(fresh), key)).status).toBe(201);

    const done = await s.waitFinal(key, post.id, 30_000);
    expect(done).toMatchObject({ status: "published" });
    expect(s.copies(caption)).toBe(1);
    expect(await accountOf(s, key, connected.body.id)).toMatchObject({ status: "active", statusReason: null });
  });

  it("a throttle answer to the old token after a reconnect: the new token's breaker stays closed, post published once", async () => {
    const sim = s.sims.control.registerAccount({ platform: "facebook" });
    const connected = await s.api<{ id: string }>("POST", "/v1/accounts", connectRequest(sim), key);
    // The final call with the old token is refused as throttled for an hour — 4 s late, after
    // the user has reconnected the account. Nothing was published by that call.
    s.sims.control.addFault({
      operation: "facebook.create_post",
      type: "throttle",
      code: 613,
      regainMinutes: 60,
      delayMs: 4_000,
      accountId: sim.accountId,
    });
    const caption = `throttled old token ${Date.now()}`;
    const post = await s.schedule(key, connected.body.id, { caption, media: [], inMs: 6_000 });
    await until(
      "final call sent",
      async () => calls(s, "facebook.create_post", sim.accountId),
      (n) => n >= 1,
    );
    const fresh = s.sims.control.registerAccount({ platform: "facebook", accountId: sim.accountId });
    expect((await s.api("POST", "/v1/accounts", connectRequest(fresh), key)).status).toBe(201);

    const done = await s.waitFinal(key, post.id, 30_000);
    // Tried again at once with the new token: not held for the old token's hour.
    expect(done).toMatchObject({ status: "published", heldUntil: null });
    expect(s.copies(caption)).toBe(1);
    expect(calls(s, "facebook.create_post", sim.accountId)).toBe(2);
    const { data } = await db().entities.account.get({ id: connected.body.id }).go({ consistent: true });
    expect(data).toMatchObject({ status: "active", tokenVersion: 1 }); // one reconnect
    expect(data?.breakerUntil).toBeUndefined();
  });

  it("a throttle answer to the current token still opens the breaker (the same write, same version)", async () => {
    const acct = await s.connect(key, "facebook");
    s.sims.control.addFault({
      operation: "facebook.create_post",
      type: "throttle",
      code: 613,
      regainMinutes: 60,
      accountId: acct.externalAccountId,
    });
    const caption = `throttled current token ${Date.now()}`;
    const post = await s.schedule(key, acct.id, { caption, media: [], inMs: 3_000 });
    const held = await s.waitFor(key, post.id, (p) => p.status === "scheduled" && p.heldUntil != null, 20_000);
    expect(held.lastError?.code).toBe("account.rate_limited");
    const { data } = await db().entities.account.get({ id: acct.id }).go({ consistent: true });
    expect(Date.parse(data?.breakerUntil ?? "")).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(s.copies(caption)).toBe(0);
    expect((await s.api("POST", `/v1/posts/${post.id}/cancel`, {}, key)).status).toBe(200);
  });

  it("an Instagram token that has already expired fails its post with a clear reason, no refresh, one attempt", async () => {
    const acct = await s.connect(key, "instagram", { expiresInSec: 3600 });
    const caption = `expired ${Date.now()}`;
    // Studio stored an expiry an hour ahead; by the time the post is due, the token has expired.
    await db()
      .entities.account.patch({ id: acct.id })
      .set({ expiresAt: new Date(Date.now() - 60_000).toISOString() })
      .go();
    const post = await s.schedule(key, acct.id, { caption, media: [s.media("image.jpg")], inMs: 6_000 });
    const done = await s.waitFinal(key, post.id);
    expect(done).toMatchObject({ status: "failed", attempts: 1, lastError: { code: "account.needs_reconnect" } });
    expect(done.lastError?.message).toMatch(/expired on .*cannot refresh an expired token/);
    expect(calls(s, "instagram.refresh", acct.externalAccountId)).toBe(0);
    expect(s.copies(caption)).toBe(0);
    expect((await accountOf(s, key, acct.id)).status).toBe("needs_reconnect");
  });
});
