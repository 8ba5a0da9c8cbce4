import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, inject, it } from "vitest";
import { journal } from "../testing/fixtures/scripted-consumer";
import { type Runtime, type RuntimeOptions, startRuntime } from "./runtime";

const FIXTURE = "packages/local/src/testing/fixtures/scripted-consumer.handler";

const dirs: string[] = [];
const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.stop();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A runtime with its own fauxqs (persisted in `dataDir`) and the suite's DynamoDB. */
async function start(stage: string, dataDir: string, over: RuntimeOptions = {}) {
  const rt = await startRuntime({
    stage,
    dataDir,
    dynamoEndpoint: inject("dynamoEndpoint"),
    api: false,
    simulators: false,
    schedules: false,
    pollWaitSeconds: 1,
    snapshotIntervalMs: 100,
    handlers: { report: FIXTURE },
    ...over,
  });
  runtimes.push(rt);
  return rt;
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000) {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const delivered = (id: string) => journal().deliveries.filter((d) => d.id === id);

describe("SQS messages survive a runtime restart when data is kept on disk", () => {
  it("graceful stop: ready, delayed and in-flight messages come back, with their ids and receive counts", async () => {
    // prepare: a runtime that does not consume, three messages in three states.
    const dataDir = await mkdtemp(join(tmpdir(), "studio-rt-"));
    dirs.push(dataDir);
    const stage = `t${randomBytes(3).toString("hex")}`;
    const rt1 = await start(stage, dataDir, { pollers: false });
    const sqs = new SQSClient({ endpoint: rt1.sqsEndpoint });
    const url = rt1.queues.report?.url;
    const inflight = await sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify({ id: `${stage}-inflight` }) }),
    );
    // A consumer that received it and died: it would stay invisible for 10 minutes.
    const taken = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 600 }));
    expect(taken.Messages?.[0]?.MessageId).toBe(inflight.MessageId);
    const ready = await sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify({ id: `${stage}-ready` }) }),
    );
    const sentAt = Date.now();
    const delayed = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: JSON.stringify({ id: `${stage}-delayed` }),
        DelaySeconds: 2,
      }),
    );
    sqs.destroy();
    // act
    await rt1.stop();
    const saved = JSON.parse(await readFile(join(dataDir, "sqs-messages.json"), "utf8"));
    const rt2 = await start(stage, dataDir, { pollers: ["report"] });
    await until("all three consumed after the restart", () =>
      ["ready", "delayed", "inflight"].every((k) => delivered(`${stage}-${k}`).length === 1),
    );
    // assess
    const savedReport = saved.queues[`${stage}-studio-report`];
    expect([savedReport.ready.length, savedReport.delayed.length, savedReport.inflight.length]).toEqual([1, 1, 1]);
    // The delayed one waited out its delay: not delivered before the 2 s from its send.
    const d = delivered(`${stage}-delayed`)[0];
    expect(d && d.at - sentAt).toBeGreaterThanOrEqual(2000);
    expect(delivered(`${stage}-inflight`)[0]).toMatchObject({ messageId: inflight.MessageId, receiveCount: 2 });
    expect(delivered(`${stage}-ready`)[0]).toMatchObject({ messageId: ready.MessageId, receiveCount: 1 });
    expect(delivered(`${stage}-delayed`)[0]).toMatchObject({ messageId: delayed.MessageId, receiveCount: 1 });
    expect(rt2.pollers.report?.stats.failed).toBe(0);
  });

  it("a crash (no final snapshot) keeps what the periodic snapshot saved", async () => {
    // prepare
    const dataDir = await mkdtemp(join(tmpdir(), "studio-rt-"));
    dirs.push(dataDir);
    const stage = `t${randomBytes(3).toString("hex")}`;
    const rt1 = await start(stage, dataDir, { pollers: false });
    const sqs = new SQSClient({ endpoint: rt1.sqsEndpoint });
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: rt1.queues.report?.url,
        MessageBody: JSON.stringify({ id: `${stage}-crash` }),
      }),
    );
    sqs.destroy();
    const file = join(dataDir, "sqs-messages.json");
    await until("a periodic snapshot holding the message", () => existsSync(file));
    await sleep(300);
    // act
    await rt1.kill();
    await start(stage, dataDir, { pollers: ["report"] });
    await until("the message consumed after the restart", () => delivered(`${stage}-crash`).length === 1);
    // assess
    expect(delivered(`${stage}-crash`)[0]?.messageId).toBe(sent.MessageId);
  });

  it("graceful stop lets a running batch finish (and delete its message) before the snapshot", async () => {
    // prepare
    const dataDir = await mkdtemp(join(tmpdir(), "studio-rt-"));
    dirs.push(dataDir);
    const stage = `t${randomBytes(3).toString("hex")}`;
    const rt = await start(stage, dataDir, { pollers: ["report"] });
    const sqs = new SQSClient({ endpoint: rt.sqsEndpoint });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: rt.queues.report?.url,
        MessageBody: JSON.stringify({ id: `${stage}-busy`, sleepMs: 1200 }),
      }),
    );
    sqs.destroy();
    await until("the batch running", () => delivered(`${stage}-busy`).length === 1);
    // act
    await rt.stop();
    // assess: it finished (no failure, no timeout) and the final snapshot holds nothing.
    expect(rt.pollers.report?.stats).toMatchObject({ succeeded: 1, failed: 0, timedOut: 0 });
    const saved = JSON.parse(await readFile(join(dataDir, "sqs-messages.json"), "utf8"));
    const report = saved.queues[`${stage}-studio-report`];
    expect([...report.ready, ...report.delayed, ...report.inflight]).toHaveLength(0);
  });
});
