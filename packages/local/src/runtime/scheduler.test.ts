import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { journal } from "../testing/fixtures/scheduled-recorder";
import { Scheduler } from "./scheduler";

const RECORDER = "packages/local/src/testing/fixtures/scheduled-recorder.handler";

let scheduler: Scheduler | undefined;
afterEach(async () => {
  await scheduler?.stop(2000);
  const j = journal();
  Object.assign(j, { events: [], running: 0, maxRunning: 0, sleepMs: 0, remainingMs: [] });
});

describe("Scheduler", () => {
  it("invokes the handler module with an EventBridge Scheduled Event and a Lambda context", async () => {
    // prepare
    scheduler = new Scheduler(
      [{ name: "tick", expression: "cron(* * * * ? *)", handler: RECORDER, timeoutSeconds: 55, periodSeconds: 0.1 }],
      "t1",
    );
    // act
    await scheduler.start();
    await sleep(450);
    await scheduler.stop(1000);
    // assess
    const { events, remainingMs } = journal();
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events[0]).toMatchObject({
      "detail-type": "Scheduled Event",
      source: "aws.events",
      detail: {},
      resources: [expect.stringMatching(/:rule\/t1-studio-tick$/)],
    });
    expect(events[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(remainingMs[0]).toBeGreaterThan(50_000);
    expect(remainingMs[0]).toBeLessThanOrEqual(55_000);
    // Stopped: no more fires.
    const count = events.length;
    await sleep(300);
    expect(journal().events).toHaveLength(count);
  });

  it("lets a run that outlasts the period overlap with the next one", async () => {
    // prepare: each run takes 350 ms, the period is 100 ms.
    journal().sleepMs = 350;
    scheduler = new Scheduler(
      [{ name: "slow", expression: "cron(* * * * ? *)", handler: RECORDER, timeoutSeconds: 5, periodSeconds: 0.1 }],
      "t1",
    );
    // act
    await scheduler.start();
    await sleep(500);
    // assess
    expect(journal().maxRunning).toBeGreaterThan(1);
  });

  it("fails fast on a handler module that does not exist", async () => {
    scheduler = new Scheduler(
      [{ name: "nope", expression: "cron(* * * * ? *)", handler: "packages/nope/missing.handler", timeoutSeconds: 5 }],
      "t1",
    );
    await expect(scheduler.start()).rejects.toThrow();
  });
});
