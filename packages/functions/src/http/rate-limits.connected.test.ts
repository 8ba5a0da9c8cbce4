import { db } from "@studio/core/db/service";
import { RateLimiter, setLimiter, WINDOW_MS } from "@studio/core/rate-limit/rate-limit";
import { connectedEnv } from "@studio/local/testing/connected";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { adminToken, call, newKey, newWorkspace } from "./testing/client";

/** A fixed instant in the middle of a window: no test races a minute boundary. */
const T0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + 30_000;
const saved = { ...process.env };

describe("rate limits (connected)", () => {
  let now = T0;
  const clock = () => now;

  beforeAll(async () => {
    await connectedEnv();
    process.env.STUDIO_RATE_LIMIT_PER_KEY = "5";
    process.env.STUDIO_RATE_LIMIT_PER_WORKSPACE = "8";
  });
  afterAll(() => {
    process.env.STUDIO_RATE_LIMIT_PER_KEY = saved.STUDIO_RATE_LIMIT_PER_KEY;
    process.env.STUDIO_RATE_LIMIT_PER_WORKSPACE = saved.STUDIO_RATE_LIMIT_PER_WORKSPACE;
    if (saved.STUDIO_RATE_LIMIT_PER_KEY === undefined) delete process.env.STUDIO_RATE_LIMIT_PER_KEY;
    if (saved.STUDIO_RATE_LIMIT_PER_WORKSPACE === undefined) delete process.env.STUDIO_RATE_LIMIT_PER_WORKSPACE;
    setLimiter(undefined);
  });
  beforeEach(() => {
    // Each test in a window of its own, far from the others.
    now += 10 * WINDOW_MS;
    setLimiter(new RateLimiter(clock));
  });

  async function workspaceWithKeys() {
    setLimiter(undefined);
    process.env.STUDIO_RATE_LIMIT_PER_KEY = "0";
    const ws = await newWorkspace("Limited");
    const second = await newKey(ws.ownerKey, "viewer");
    process.env.STUDIO_RATE_LIMIT_PER_KEY = "5";
    setLimiter(new RateLimiter(clock));
    return { ...ws, second };
  }

  it("answers 429 rate_limited with Retry-After once a key has spent its requests in the window", async () => {
    const { ownerKey } = await workspaceWithKeys();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call("GET", "/v1/workspace", { token: ownerKey })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await call("GET", "/v1/workspace", { token: ownerKey });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: "rate_limited", details: null });
    expect(limited.headers.get("retry-after")).toBe("30"); // T0 is 30 s into its window

    now += WINDOW_MS; // the next window
    expect((await call("GET", "/v1/workspace", { token: ownerKey })).status).toBe(200);
  });

  it("shares the count across instances through the table", async () => {
    const { ownerKey, second } = await workspaceWithKeys();
    const a = new RateLimiter(clock);
    const b = new RateLimiter(clock);
    const on = async (instance: RateLimiter) => {
      setLimiter(instance);
      return (await call("GET", "/v1/workspace", { token: ownerKey })).status;
    };
    const seen = [await on(a), await on(b), await on(a), await on(b), await on(a), await on(b), await on(a)];
    expect(seen).toEqual([200, 200, 200, 200, 200, 429, 429]);
    // Another key of the workspace is not held back by this one's limit.
    setLimiter(b);
    expect((await call("GET", "/v1/workspace", { token: second })).status).toBe(200);
    // The counters live in the table: what the instances share (per workspace here: 7 taken).
    const workspaceId = (await call("GET", "/v1/workspace", { token: second })).body.id;
    const { data } = await db().entities.rateCounter.query.byWindow({ scope: "workspace", subject: workspaceId }).go();
    const current = data.find((c) => c.window === Math.floor(now / WINDOW_MS));
    expect(current?.used).toBeGreaterThanOrEqual(7);
  });

  it("limits a workspace across all its keys", async () => {
    const { ownerKey, second } = await workspaceWithKeys();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await call("GET", "/v1/workspace", { token: ownerKey })).status);
    for (let i = 0; i < 4; i++) statuses.push((await call("GET", "/v1/workspace", { token: second })).status);
    // 8 per workspace: the owner's 5, then 3 of the viewer's, then the workspace is spent.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 429]);
    const res = await call("GET", "/v1/workspace", { token: second });
    expect(res.body.error.message).toMatch(/workspace/);
  });

  it("limits the admin token too", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call("GET", "/v1/ops/queues", { token: adminToken() })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it("is off with STUDIO_RATE_LIMIT_PER_KEY=0 (load tests)", async () => {
    const { ownerKey } = await workspaceWithKeys();
    process.env.STUDIO_RATE_LIMIT_PER_KEY = "0";
    delete process.env.STUDIO_RATE_LIMIT_PER_WORKSPACE;
    try {
      for (let i = 0; i < 12; i++) expect((await call("GET", "/v1/workspace", { token: ownerKey })).status).toBe(200);
    } finally {
      process.env.STUDIO_RATE_LIMIT_PER_KEY = "5";
      process.env.STUDIO_RATE_LIMIT_PER_WORKSPACE = "8";
    }
  });
});
