import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Simulators, startSimulators } from "./index";

let sims: Simulators;
beforeAll(async () => {
  sims = await startSimulators({ port: 0 });
});
afterAll(() => sims.stop());
beforeEach(() => sims.control.reset());

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

describe("media host", () => {
  it("claims 5 GB for huge.mp4 without sending it, and answers ranges", async () => {
    const head = await fetch(`${sims.mediaUrl}/huge.mp4`, { method: "HEAD" });
    expect([head.status, head.headers.get("content-length"), head.headers.get("content-type")]).toEqual([
      200,
      String(5 * 1024 ** 3),
      "video/mp4",
    ]);
    const range = await fetch(`${sims.mediaUrl}/huge.mp4`, { headers: { range: "bytes=0-0" } });
    expect([range.status, range.headers.get("content-range")]).toEqual([206, `bytes 0-0/${5 * 1024 ** 3}`]);
    expect((await range.arrayBuffer()).byteLength).toBe(1);
  });

  it("serves a whole file of the size it claims, with a real signature", async () => {
    const res = await fetch(`${sims.mediaUrl}/image.jpg`);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(Number(res.headers.get("content-length")));
    expect([...body.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  });

  it("wrong types, missing files, refused HEAD and injected media faults", async () => {
    expect((await fetch(`${sims.mediaUrl}/wrong-type.mp4`, { method: "HEAD" })).headers.get("content-type")).toMatch(
      /^text\/html/,
    );
    expect((await fetch(`${sims.mediaUrl}/missing.jpg`, { method: "HEAD" })).status).toBe(404);
    expect((await fetch(`${sims.mediaUrl}/no-head.jpg`, { method: "HEAD" })).status).toBe(405);
    sims.control.addFault({ operation: "media.fetch", type: "server_error", accountId: "image.jpg" });
    sims.control.addFault({ operation: "media.fetch", type: "not_found" });
    expect((await fetch(`${sims.mediaUrl}/video.mp4`, { method: "HEAD" })).status).toBe(404);
    expect((await fetch(`${sims.mediaUrl}/image.jpg`, { method: "HEAD" })).status).toBe(503);
    expect((await fetch(`${sims.mediaUrl}/image.jpg`, { method: "HEAD" })).status).toBe(200);
  });
});

describe("control API", () => {
  it("registers accounts with tokens; an expired token gets Meta's 190/463 error", async () => {
    const res = await post(`${sims.controlUrl}/accounts`, {
      platform: "instagram",
      accountId: "1784",
      expiresInSec: 1,
    });
    expect(res.status).toBe(201);
    const a = (await res.json()) as { accessToken: string; expiresAt: string };
    const list = () =>
      fetch(`${sims.instagramUrl}/1784/media`, { headers: { authorization: `Bearer ${a.accessToken}` } });
    expect((await list()).status).toBe(200);
    await post(`${sims.controlUrl}/clock`, { advanceMs: 2_000 });
    const expired = await list();
    expect(expired.status).toBe(400);
    expect(((await expired.json()) as { error: object }).error).toMatchObject({ code: 190, error_subcode: 463 });
  });

  it("refuses unknown tokens once auto-creation is off", async () => {
    await post(`${sims.controlUrl}/config`, { autoCreateAccounts: false });
    const res = await fetch(`${sims.facebookUrl}/1/published_posts?access_token=nope`);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(190);
  });

  it("validates faults and config", async () => {
    expect((await post(`${sims.controlUrl}/faults`, { operation: "*", type: "meteor" })).status).toBe(400);
    expect((await post(`${sims.controlUrl}/config`, { containerReadyMs: "soon" })).status).toBe(400);
    expect((await post(`${sims.controlUrl}/faults`, { operation: "*", type: "slow", rate: 2 })).status).toBe(400);
  });

  it("a seeded rate fault fires in the same pattern on replay", async () => {
    const pattern = async () => {
      sims.control.reset();
      await post(`${sims.controlUrl}/faults`, {
        seed: 42,
        faults: [{ operation: "facebook.recent_posts", type: "server_error", rate: 0.5 }],
      });
      const out: number[] = [];
      for (let i = 0; i < 16; i++)
        out.push((await fetch(`${sims.facebookUrl}/1/published_posts?access_token=t`)).status);
      return out;
    };
    const first = await pattern();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await pattern()).toEqual(first);
  });

  it("one-shot faults fire `times` times, then disappear; per-account faults spare others", async () => {
    sims.control.addFault({ operation: "facebook.*", type: "policy_block", times: 2, accountId: "p1" });
    const call = (page: string) =>
      fetch(`${sims.facebookUrl}/${page}/feed`, {
        method: "POST",
        headers: { authorization: "Bearer t" },
        body: new URLSearchParams({ message: `m${Math.random()}` }),
      });
    expect((await call("p2")).status).toBe(200);
    expect((await call("p1")).status).toBe(400);
    expect(sims.control.faults()).toHaveLength(1);
    expect((await call("p1")).status).toBe(400);
    expect(sims.control.faults()).toHaveLength(0);
    expect((await call("p1")).status).toBe(200);
    const published = (await (await fetch(`${sims.controlUrl}/published?platform=facebook`)).json()) as {
      total: number;
    };
    expect(published.total).toBe(2);
    const calls = (await (await fetch(`${sims.controlUrl}/calls`)).json()) as { counts: Record<string, number> };
    expect(calls.counts["facebook.create_post"]).toBe(4);
  });

  it("journals every irreversible call: the caption, the fault, what it created and what the client got", async () => {
    const feed = (caption: string) =>
      fetch(`${sims.facebookUrl}/p9/feed`, {
        method: "POST",
        headers: { authorization: "Bearer t" },
        body: new URLSearchParams({ message: caption }),
      }).then(
        (r) => r.status,
        () => "dropped",
      );
    sims.control.addFault({ operation: "facebook.create_post", type: "response_lost" });
    sims.control.addFault({ operation: "facebook.create_post", type: "server_error" });
    sims.control.addFault({ operation: "facebook.create_post", type: "timeout", delayMs: 50 });
    expect([await feed("lost"), await feed("refused"), await feed("hung"), await feed("fine")]).toEqual([
      "dropped",
      500,
      "dropped",
      200,
    ]);
    await fetch(`${sims.facebookUrl}/p9/published_posts?access_token=t`); // not an irreversible call
    const res = await fetch(`${sims.controlUrl}/journal`);
    const { items } = (await res.json()) as { items: Array<Record<string, unknown>> };
    expect(items.map((c) => [c.caption, c.fault ?? null, (c.created as string[]).length, c.answered])).toEqual([
      ["lost", "response_lost", 1, "cut"],
      ["refused", "server_error", 0, 500],
      ["hung", "timeout", 0, "no_answer"],
      ["fine", null, 1, 200],
    ]);
    expect(sims.control.journal({ caption: "fine" })[0]?.created).toEqual(
      sims.control.published({ caption: "fine" })[0]?.ids,
    );
  });

  it("reset forgets posts, faults and the clock", async () => {
    sims.control.addFault({ operation: "*", type: "server_error", rate: 1 });
    sims.control.advanceClock(1_000_000);
    expect((await post(`${sims.controlUrl}/reset`, {})).status).toBe(200);
    expect(sims.control.faults()).toEqual([]);
    expect(sims.control.published()).toEqual([]);
    expect((await fetch(`${sims.facebookUrl}/1/published_posts?access_token=t`)).status).toBe(200);
  });
});
