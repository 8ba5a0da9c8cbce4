import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Delivery, journal } from "../testing/fixtures/scripted-consumer";
import { type Runtime, startRuntime } from "./runtime";

const FIXTURE = "packages/local/src/testing/fixtures/scripted-consumer";

/** Test queues: production-shaped (DLQ, redrive) but with a 1 s visibility timeout. */
const testQueue = (
  name: string,
  over: Partial<{ batchSize: number; maxConcurrency: number; timeoutSeconds: number }>,
) => ({
  name,
  handler: `${FIXTURE}.handler`,
  timeoutSeconds: 5,
  visibilityTimeoutSeconds: 1,
  batchSize: 10,
  maxBatchingWindowSeconds: 0,
  maxConcurrency: 2,
  maxReceiveCount: 3,
  dlqRetentionDays: 1,
  ...over,
});

let rt: Runtime;
let sqs: SQSClient;
const run = randomBytes(3).toString("hex");

beforeAll(async () => {
  rt = await startRuntime({
    stage: `t${run}`,
    dynamoEndpoint: inject("dynamoEndpoint"),
    sqsEndpoint: inject("sqsEndpoint"),
    api: false,
    simulators: false,
    schedules: false,
    pollers: ["dlq", "partial", "slow", "bounded"],
    pollWaitSeconds: 1,
    extraQueues: [
      testQueue("dlq", {}),
      testQueue("partial", {}),
      testQueue("slow", { timeoutSeconds: 1 }),
      { ...testQueue("bounded", { batchSize: 1, maxConcurrency: 2 }), handler: `${FIXTURE}.countingHandler` },
    ],
  });
  sqs = new SQSClient({ endpoint: rt.sqsEndpoint });
});

afterAll(async () => {
  await rt?.stop();
  sqs?.destroy();
});

async function send(queue: string, bodies: object[]) {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: rt.queues[queue]?.url,
        Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: JSON.stringify(b) })),
      }),
    );
  }
}

async function depth(url: string | undefined) {
  const res = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }));
  const a = res.Attributes ?? {};
  return (
    Number(a.ApproximateNumberOfMessages) +
    Number(a.ApproximateNumberOfMessagesNotVisible) +
    Number(a.ApproximateNumberOfMessagesDelayed)
  );
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const deliveriesOf = (prefix: string): Delivery[] => journal().deliveries.filter((d) => d.id.startsWith(prefix));

describe("queue poller (runtime) against fauxqs", () => {
  it("a record that always fails lands in the DLQ after exactly maxReceiveCount receives", async () => {
    // prepare
    const q = rt.queues.dlq;
    // act
    await send("dlq", [{ id: `dlq-${run}`, failUntilReceive: -1 }]);
    await until("the message in the DLQ", async () => (await depth(q?.dlqUrl)) === 1);
    // assess
    expect(deliveriesOf("dlq-").map((d) => d.receiveCount)).toEqual([1, 2, 3]);
    expect(await depth(q?.url)).toBe(0);
    const dead = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: q?.dlqUrl, AttributeNames: ["All"], WaitTimeSeconds: 1 }),
    );
    expect(JSON.parse(dead.Messages?.[0]?.Body ?? "{}").id).toBe(`dlq-${run}`);
    // Give the poller a couple more visibility timeouts: nothing is delivered again.
    await sleep(1500);
    expect(deliveriesOf("dlq-")).toHaveLength(3);
  });

  it("in a batch of 10 with 3 failing records, only those 3 come back", async () => {
    // prepare: 3 records fail on their first receive, then succeed.
    const bodies = Array.from({ length: 10 }, (_, i) => ({ id: `partial-${i}`, failUntilReceive: i < 3 ? 1 : 0 }));
    // act
    await send("partial", bodies);
    await until(
      "every record handled",
      async () => deliveriesOf("partial-").length >= 13 && (await depth(rt.queues.partial?.url)) === 0,
    );
    // assess: one batch of 10, then exactly the 3 failed ones, with receive count 2.
    const deliveries = deliveriesOf("partial-");
    const first = deliveries.filter((d) => d.receiveCount === 1);
    const again = deliveries.filter((d) => d.receiveCount > 1);
    expect(first.map((d) => d.id).sort()).toEqual(bodies.map((b) => b.id).sort());
    expect(again.map((d) => [d.id, d.receiveCount]).sort()).toEqual([
      ["partial-0", 2],
      ["partial-1", 2],
      ["partial-2", 2],
    ]);
    expect(rt.pollers.partial?.stats).toMatchObject({ batches: 2, records: 13, failed: 3, succeeded: 10 });
    expect(await depth(rt.queues.partial?.dlqUrl)).toBe(0);
    await sleep(1500);
    expect(deliveriesOf("partial-")).toHaveLength(13);
  });

  it("a batch that runs past the function timeout counts as failed and is delivered again", async () => {
    // prepare: the first delivery sleeps 2.5 s, past the 1 s timeout; the second is quick.
    await send("slow", [{ id: `slow-${run}`, sleepMs: 2500, slowUntilReceive: 1 }]);
    // act
    // The visibility timeout (1 s) equals the function timeout, so the second delivery can run
    // and delete the message before the busy event loop has fired the first one's timeout: wait
    // for both, not for the queue alone.
    await until(
      "a second delivery that succeeds, and the first one's timeout",
      async () => (await depth(rt.queues.slow?.url)) === 0 && (rt.pollers.slow?.stats.timedOut ?? 0) >= 1,
      15_000,
    );
    // assess
    expect(deliveriesOf("slow-").map((d) => d.receiveCount)).toEqual([1, 2]);
    expect(rt.pollers.slow?.stats.timedOut).toBe(1);
  });

  it("keeps at most maxConcurrency batches in flight", async () => {
    // prepare: six single-record batches of 300 ms each, maxConcurrency 2.
    await send(
      "bounded",
      Array.from({ length: 6 }, (_, i) => ({ id: `bounded-${i}`, sleepMs: 300 })),
    );
    // act
    await until("all six handled", async () => (await depth(rt.queues.bounded?.url)) === 0);
    // assess
    expect(deliveriesOf("bounded-")).toHaveLength(6);
    expect(journal().maxRunning).toBe(2);
  });
});
