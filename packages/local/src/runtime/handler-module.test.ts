import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { invokeHandler, lambdaContext, loadHandler } from "./handler-module";

const FIXTURE = "packages/local/src/testing/fixtures/scripted-consumer.handler";

/** Factory for an SQS event whose records script their own fate (see the fixture). */
const sqsEvent = (records: Array<{ id: string; failUntilReceive?: number; sleepMs?: number }>): SQSEvent => ({
  Records: records.map((body) => ({
    messageId: `m-${body.id}`,
    receiptHandle: `r-${body.id}`,
    body: JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "0",
      SenderId: "0",
      ApproximateFirstReceiveTimestamp: "0",
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:q",
    awsRegion: "us-east-1",
  })),
});

describe("invokeHandler", () => {
  it("isolates concurrent invocations of one module (Powertools batch state is per invocation)", async () => {
    // prepare: batch A fails one record quickly, batch B succeeds slowly; both share one module.
    const handler = await loadHandler(FIXTURE);
    const a = sqsEvent([
      { id: "a1", failUntilReceive: 1 },
      { id: "a2", sleepMs: 30 },
    ]);
    const b = sqsEvent([{ id: "b1", sleepMs: 60 }, { id: "b2", sleepMs: 10 }, { id: "b3" }]);
    // act
    const [ra, rb] = await Promise.all([
      invokeHandler<SQSBatchResponse>(handler, a, lambdaContext("f", 5, "req-a"), 5),
      invokeHandler<SQSBatchResponse>(handler, b, lambdaContext("f", 5, "req-b"), 5),
    ]);
    // assess
    expect(ra.batchItemFailures).toEqual([{ itemIdentifier: "m-a1" }]);
    expect(rb.batchItemFailures).toEqual([]);
  });

  it("still lets a handler be called directly, outside an invocation", async () => {
    const handler = await loadHandler(FIXTURE);
    await invokeHandler(handler, sqsEvent([{ id: "warm" }]), lambdaContext("f", 5, "req-0"), 5);
    const res = (await handler(
      sqsEvent([{ id: "c1", failUntilReceive: 1 }]),
      lambdaContext("f", 5, "x"),
    )) as SQSBatchResponse;
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: "m-c1" }]);
  });

  it("fails the invocation when the handler outlives its timeout", async () => {
    const handler = await loadHandler(FIXTURE);
    await expect(
      invokeHandler(handler, sqsEvent([{ id: "slow", sleepMs: 1500 }]), lambdaContext("f", 1, "req-t"), 1),
    ).rejects.toThrow(/timed out after 1 s/);
  });
});
