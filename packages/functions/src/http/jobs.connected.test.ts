import * as JobRun from "@studio/core/job-run/job-run";
import { connectedEnv } from "@studio/local/testing/connected";
import { beforeAll, describe, expect, it } from "vitest";
import { adminToken, call, newAccount, newWorkspace } from "./testing/client";

describe("job runs and schedules (connected)", () => {
  let key: string;

  beforeAll(async () => {
    await connectedEnv();
    ({ ownerKey: key } = await newWorkspace("Jobs"));
  });

  it("a fan-out run finishes once every part reported, each part counted once", async () => {
    // prepare: a run whose parts report before and after the fan-out is declared
    const run = await JobRun.start("metricsRefresh", "manual");
    expect(await JobRun.completePart(run, "acct_a", { counts: { posts: 3, snapshots: 3 } })).toBe(true);
    // act: a redelivery of the same part, then the fan-out, then the last part
    expect(await JobRun.completePart(run, "acct_a", { counts: { posts: 3, snapshots: 3 } })).toBe(false);
    await JobRun.fannedOut(run, 2, { counts: { accounts: 2 } });
    expect((await JobRun.get(run.runId))?.finishedAt).toBeNull();
    await JobRun.completePart(run, "acct_b", {
      counts: { posts: 1, snapshots: 0 },
      failures: [{ ref: "post_x", reason: "Instagram timed out three times" }],
    });
    // assess
    const done = await JobRun.get(run.runId);
    expect(done).toMatchObject({
      status: "partial",
      counts: { accounts: 2, posts: 4, snapshots: 3 },
      failures: [{ ref: "post_x", reason: "Instagram timed out three times" }],
      parts: { sent: 2, done: 2 },
    });
    expect(done?.finishedAt).toEqual(expect.any(String));
    expect(done?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("a fan-out with nothing to send finishes at once", async () => {
    const run = await JobRun.start("competitorsRefresh", "manual");
    await JobRun.fannedOut(run, 0, { counts: { competitors: 0 } });
    expect(await JobRun.get(run.runId)).toMatchObject({ status: "ok", counts: { competitors: 0 } });
  });

  it("a run whose work throws is recorded as error with the reason, and rethrows", async () => {
    await expect(
      JobRun.record("weeklyReport", "manual", async () => {
        throw new Error("the table did not answer");
      }),
    ).rejects.toThrow("the table did not answer");
    const { items } = await JobRun.list(["weeklyReport"], 1);
    expect(items[0]).toMatchObject({ status: "error", failures: [{ reason: "the table did not answer" }] });
  });

  it("POST /v1/ops/schedules/{name}/run fires a schedule: 202 with the run, listed by GET /v1/ops/jobs", async () => {
    await newAccount(key);
    const fired = await call("POST", "/v1/ops/schedules/metricsRefresh/run", { token: adminToken() });
    expect(fired.status).toBe(202);
    expect(fired.body.runId).toMatch(/^run_/);

    const dispatched = await call("POST", "/v1/ops/schedules/publishDispatcher/run", { token: adminToken() });
    expect(dispatched.status).toBe(202);
    const disp = await call("GET", "/v1/ops/jobs?kind=publishDispatcher&limit=1", { token: adminToken() });
    expect(disp.body.items[0]).toMatchObject({ id: dispatched.body.runId, kind: "publishDispatcher", status: "ok" });
    expect(disp.body.items[0].counts).toMatchObject({ due: expect.any(Number), sent: expect.any(Number) });

    const list = await call("GET", "/v1/ops/jobs?kind=metricsRefresh", { token: adminToken() });
    expect(list.status).toBe(200);
    const run = list.body.items.find((r: { id: string }) => r.id === fired.body.runId);
    // One active account → one message; nobody consumes the queue here, so the run is running.
    expect(run).toMatchObject({
      kind: "metricsRefresh",
      trigger: "manual",
      status: "running",
      finishedAt: null,
      parts: { sent: 1, done: 0 },
      counts: { accounts: 1 },
    });

    const all = await call("GET", "/v1/ops/jobs?limit=50", { token: adminToken() });
    const kinds = new Set(all.body.items.map((r: { kind: string }) => r.kind));
    expect(kinds).toEqual(new Set(["metricsRefresh", "publishDispatcher", "weeklyReport", "competitorsRefresh"]));
    const starts = all.body.items.map((r: { startedAt: string }) => r.startedAt);
    expect(starts).toEqual([...starts].sort().reverse());
  });

  it("weeklyReport says what it did: a skipped run with the workspaces it would report on, not an empty success", async () => {
    const fired = await call("POST", "/v1/ops/schedules/weeklyReport/run", { token: adminToken() });
    expect(fired.status).toBe(202);
    const list = await call("GET", "/v1/ops/jobs?kind=weeklyReport&limit=5", { token: adminToken() });
    const run = list.body.items.find((r: { id: string }) => r.id === fired.body.runId);
    expect(run).toMatchObject({
      kind: "weeklyReport",
      status: "skipped",
      finishedAt: expect.any(String),
      counts: { workspaces: expect.any(Number), reportsBuilt: 0 },
      note: expect.stringMatching(/^Weekly reports are not built yet: nothing was generated for \d+ workspaces?\.$/),
      failures: [],
    });
    expect(run.counts.workspaces).toBeGreaterThanOrEqual(1); // this suite's "Jobs" workspace at least
    expect(run.note).toContain(`${run.counts.workspaces} workspace`);
  });

  it("refuses unknown schedules, bad limits and workspace keys", async () => {
    const unknown = await call("POST", "/v1/ops/schedules/nope/run", { token: adminToken() });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe("validation_failed");
    expect((await call("GET", "/v1/ops/jobs?limit=0", { token: adminToken() })).status).toBe(400);
    expect((await call("GET", "/v1/ops/jobs?kind=nope", { token: adminToken() })).status).toBe(400);
    expect((await call("GET", "/v1/ops/jobs", { token: key })).status).toBe(403);
    expect((await call("POST", "/v1/ops/schedules/metricsRefresh/run", { token: key })).status).toBe(403);
  });
});
