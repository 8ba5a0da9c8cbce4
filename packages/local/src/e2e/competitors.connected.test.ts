import { setTimeout as sleep } from "node:timers/promises";
import { fanOutCompetitors } from "@studio/core/competitor/fanout";
import { db } from "@studio/core/db/service";
import type { CompetitorsMessage } from "@studio/core/queue/messages";
import { sendMessage } from "@studio/core/queue/sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStudio, type TestStudio } from "../testing/studio";

interface Competitor {
  id: string;
  platform: string;
  handle: string;
  status: string;
  statusReason: string | null;
  lastRefreshedAt: string | null;
}

/** Competitors through the real path: API → daily fan-out → competitors queue → simulators. */
describe("competitors (connected)", () => {
  let s: TestStudio;
  let a: { id: string; key: string };
  let b: { id: string; key: string };

  beforeAll(async () => {
    s = await startTestStudio({ pollers: ["competitors"], schedules: false });
    a = await s.workspace("With accounts");
    b = await s.workspace("Without accounts");
    await s.connect(a.key, "instagram");
    await s.connect(a.key, "facebook");
    s.sims.control.addPublicAccount({ platform: "instagram", handle: "rival_shop", followers: 5_000, mediaCount: 6 });
    s.sims.control.addPublicAccount({ platform: "instagram", handle: "private_person", kind: "personal" });
    s.sims.control.addPublicAccount({ platform: "facebook", handle: "RivalPage", followers: 900 });
  });
  afterAll(() => s?.stop());

  const track = async (key: string, platform: string, handle: string) => {
    const res = await s.api<Competitor>("POST", "/v1/competitors", { platform, handle }, key);
    expect(res.status).toBe(201);
    return res.body;
  };
  const refresh = async () => {
    const fired = await s.api<{ runId: string }>("POST", "/v1/ops/schedules/competitorsRefresh/run");
    return finished(fired.body.runId);
  };
  const finished = async (runId: string) => {
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      const { body } = await s.api<{
        items: Array<{ id: string; finishedAt: string | null; status: string; counts: Record<string, number> }>;
      }>("GET", "/v1/ops/jobs?kind=competitorsRefresh&limit=10");
      const run = body.items.find((r) => r.id === runId);
      if (run?.finishedAt) return run;
      await sleep(150);
    }
    throw new Error("competitors run did not finish");
  };
  const one = async (key: string, id: string) =>
    (await s.api<Competitor>("GET", `/v1/competitors/${id}`, undefined, key)).body;
  const series = async (key: string, id: string) =>
    (
      await s.api<{ items: Array<{ capturedAt: string; values: Record<string, number> }> }>(
        "GET",
        `/v1/competitors/${id}/metrics`,
        undefined,
        key,
      )
    ).body.items;

  it("each platform ends in its state: active, invalid_handle, unsupported, needs_account; a time series", async () => {
    const ig = await track(a.key, "instagram", "@rival_shop");
    expect(ig).toMatchObject({ handle: "rival_shop", status: "pending", lastRefreshedAt: null });
    const personal = await track(a.key, "instagram", "private_person");
    const fb = await track(a.key, "facebook", "RivalPage");
    const fbUnknown = await track(a.key, "facebook", "nobody_here");
    const tt = await track(a.key, "tiktok", "rival.tok");
    expect(tt).toMatchObject({ status: "unsupported", statusReason: expect.stringContaining("no official API") });
    const lonely = await track(b.key, "instagram", "rival_shop");

    const run = await refresh();
    expect(run.status).toBe("partial"); // invalid handles and a missing account are reported failures

    expect(await one(a.key, ig.id)).toMatchObject({ status: "active", statusReason: null });
    expect((await one(a.key, ig.id)).lastRefreshedAt).toEqual(expect.any(String));
    const [snap] = await series(a.key, ig.id);
    expect(snap!.values).toMatchObject({ followers: 5_000, posts: 6 });
    expect(snap!.values.avgLikes).toBeGreaterThan(0);
    expect(snap!.values.avgComments).toBeGreaterThanOrEqual(0);
    expect(await one(a.key, personal.id)).toMatchObject({ status: "invalid_handle" });
    expect(await series(a.key, personal.id)).toEqual([]);
    expect(await one(a.key, fb.id)).toMatchObject({ status: "active" });
    expect((await series(a.key, fb.id))[0]!.values).toEqual({ followers: 900 }); // nothing invented
    expect(await one(a.key, fbUnknown.id)).toMatchObject({ status: "invalid_handle" });
    expect(await one(a.key, tt.id)).toMatchObject({ status: "unsupported" });
    expect(await series(a.key, tt.id)).toEqual([]);
    expect(await one(b.key, lonely.id)).toMatchObject({
      status: "needs_account",
      statusReason: expect.stringContaining("Connect"),
    });
    expect(s.sims.control.calls({ operation: "tiktok.video_query" })).toHaveLength(0);

    // A second run adds to the series.
    await refresh();
    expect(await series(a.key, ig.id)).toHaveLength(2);
  });

  it("a refresh the platform refuses leaves status error with the reason; the previous snapshots stay", async () => {
    const ig = await track(a.key, "instagram", "rival_shop");
    await refresh();
    expect(await series(a.key, ig.id)).toHaveLength(1);
    s.sims.control.addFault({
      operation: "instagram.business_discovery",
      type: "error",
      code: 100,
      message: "(#100) Tried accessing nonexisting field (business_discovery)",
      times: 10,
    });
    await refresh();
    s.sims.control.clearFaults();
    expect(await one(a.key, ig.id)).toMatchObject({
      status: "error",
      statusReason: expect.stringContaining("nonexisting field"),
    });
    expect(await series(a.key, ig.id)).toHaveLength(1);
  });

  it("snapshots are keyed by run: a replayed message writes none; two firings of one day's schedule store one snapshot", async () => {
    const ig = await track(a.key, "instagram", "rival_shop");
    const stored = async () =>
      (await db().entities.competitorMetrics.query.byCompetitor({ competitorId: ig.id }).go()).data;
    const asks = () => s.sims.control.calls({ operation: "instagram.business_discovery" }).length;

    // A run by hand, then its message replayed (as `pnpm ops replay` or a redelivery would).
    const run = await refresh();
    const [snap] = await stored();
    expect(snap).toMatchObject({ runId: run.id, slot: expect.stringContaining(`#${run.id}`) });
    const before = asks();
    await sendMessage("competitors", {
      kind: "competitors",
      workspaceId: a.id,
      competitorId: ig.id,
      runId: run.id,
      slot: snap!.slot,
    } satisfies CompetitorsMessage);
    await waitFor(() => asks() > before);
    await sleep(300); // the replay's write (none) and its part report (already reported) come right after
    expect(await stored()).toHaveLength(1);
    expect((await finished(run.id)).counts).toEqual(run.counts); // the run's counts are not added to twice

    // EventBridge firing the daily schedule twice: one slot (the day), so one snapshot; the
    // second run says what it did instead of counting a second snapshot.
    const first = await finished((await fanOutCompetitors("schedule")).runId);
    const second = await finished((await fanOutCompetitors("schedule")).runId);
    const daily = (await stored()).filter((x) => !x.slot.includes("#"));
    expect(daily).toHaveLength(1);
    expect(daily[0]!.runId).toBe(first.id);
    expect(second.counts.alreadyStored).toBeGreaterThanOrEqual(1);
    expect(second.counts.snapshots ?? 0).toBe((first.counts.snapshots ?? 0) - (second.counts.alreadyStored ?? 0));
  });

  it("routes: 404 for another workspace's, 400 for a bad handle or platform, 204 on delete", async () => {
    const c = await track(a.key, "facebook", "RivalPage");
    expect((await s.api("GET", `/v1/competitors/${c.id}`, undefined, b.key)).status).toBe(404);
    expect((await s.api("DELETE", `/v1/competitors/${c.id}`, undefined, b.key)).status).toBe(404);
    const bad = await s.api<{ error: { code: string } }>(
      "POST",
      "/v1/competitors",
      { platform: "instagram", handle: "no spaces!" },
      a.key,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("validation_failed");
    expect((await s.api("POST", "/v1/competitors", { platform: "myspace", handle: "x" }, a.key)).status).toBe(400);
    const list = await s.api<{ items: Competitor[] }>("GET", "/v1/competitors", undefined, a.key);
    expect(list.body.items.map((x) => x.id)).toContain(c.id);
    const del = await fetch(`${s.runtime.apiUrl}/v1/competitors/${c.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${a.key}` },
    });
    expect(del.status).toBe(204);
    expect((await s.api("GET", `/v1/competitors/${c.id}`, undefined, a.key)).status).toBe(404);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await sleep(100);
  }
}
