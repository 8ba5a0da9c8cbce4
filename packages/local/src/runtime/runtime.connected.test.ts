import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { queues } from "@studio/core/config/jobs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runDemo } from "../demo";
import { type Runtime, startRuntime } from "./runtime";

let rt: Runtime;
const platformEnv = ["STUDIO_INSTAGRAM_API_URL", "STUDIO_FACEBOOK_API_URL", "STUDIO_TIKTOK_API_URL"];

beforeAll(async () => {
  for (const name of platformEnv) delete process.env[name];
  rt = await startRuntime({
    stage: `t${randomBytes(3).toString("hex")}`,
    port: 0,
    dynamoEndpoint: inject("dynamoEndpoint"),
    sqsEndpoint: inject("sqsEndpoint"),
    pollWaitSeconds: 1,
    schedules: { only: ["publishDispatcher"], periodSeconds: { publishDispatcher: 0.5 } },
  });
});

afterAll(async () => {
  await rt?.stop();
});

describe("the whole runtime (API, simulators, pollers, schedules) on one machine", () => {
  it("serves the API, points the platforms at the simulators and runs the demo", async () => {
    // act
    const lines: string[] = [];
    const ctx = await runDemo(rt, (l) => lines.push(l));
    // assess
    expect(rt.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.STUDIO_INSTAGRAM_API_URL).toBe(rt.simulators?.instagramUrl);
    expect(Object.keys(ctx.accounts).sort()).toEqual(["facebook", "instagram", "tiktok"]);
    expect(lines).toContain("GET /v1/ops/queues → 200");
    expect(Object.keys(rt.pollers).sort()).toEqual(Object.keys(queues).sort());
    // The whole demo (seven posts through three platforms, a 429 with Retry-After, metrics,
    // competitors, the LLM): ~40 s on 2 cores, past 60 s when they are busy. The same bound as
    // the demo's own test (demo.connected.test.ts): a bound, not a speed test.
  }, 150_000);

  it("fires the publish dispatcher on the shortened period", async () => {
    const before = rt.scheduler?.fireCounts.publishDispatcher ?? 0;
    await sleep(1200);
    expect(rt.scheduler?.fireCounts.publishDispatcher ?? 0).toBeGreaterThan(before);
  });

  it("unsets the simulator URLs it set once stopped", async () => {
    await rt.stop();
    for (const name of platformEnv) expect(process.env[name]).toBeUndefined();
  });
});
