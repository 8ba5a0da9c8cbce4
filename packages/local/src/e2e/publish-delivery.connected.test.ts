import { execFile } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { setDynamo } from "@studio/core/db/client";
import { runDispatcher } from "@studio/core/publish/dispatcher";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStudio, type TestStudio } from "../testing/studio";

/**
 * At-least-once delivery and operators: duplicate SQS deliveries, two dispatchers at once, DLQ
 * replay, and the table or the queue failing under the pipeline. Nothing is published twice,
 * nothing is lost.
 */
const run = promisify(execFile);

describe("publishing: duplicates, overlapping dispatchers, DLQ replay, database and queue failures (connected)", () => {
  let s: TestStudio;
  let key: string;
  let ig: string;
  let fb: string;
  let sqs: SQSClient;
  beforeAll(async () => {
    process.env.STUDIO_RETRY_BASE_MS = "200";
    // The dispatcher is driven by hand here (two at once); posts due soon still go out through
    // the API's delayed enqueue.
    s = await startTestStudio({ schedules: false });
    ({ key } = await s.workspace());
    ig = (await s.connect(key, "instagram")).id;
    fb = (await s.connect(key, "facebook")).id;
    sqs = new SQSClient({ endpoint: s.runtime.sqsEndpoint });
  });
  afterAll(() => s?.stop());

  const publishQueue = () => s.runtime.queues.publish as { url: string; dlqUrl: string };
  const send = (url: string, body: unknown, delay = 0) =>
    sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(body), DelaySeconds: delay }));

  it("publishes once when the same message is delivered several times, before and after", async () => {
    const caption = "duplicate deliveries";
    const post = await s.schedule(key, fb, { caption, media: [], inMs: 2000 });
    const msg = { kind: "publish", postId: post.id, version: (post as unknown as { version: number }).version };
    await Promise.all([
      send(publishQueue().url, msg, 1),
      send(publishQueue().url, msg, 2),
      send(publishQueue().url, msg, 2),
    ]);
    const done = await s.waitFinal(key, post.id);
    expect(done.status).toBe("published");
    await Promise.all([
      send(publishQueue().url, msg),
      send(publishQueue().url, { kind: "reconcile", postId: post.id, attemptId: "x" }),
    ]);
    await sleep(2500);
    expect(s.copies(caption)).toBe(1);
    expect((await s.api("GET", `/v1/posts/${post.id}`, undefined, key)).body).toMatchObject({
      status: "published",
      attempts: 1,
    });
  });

  it("two dispatchers running at once publish every post exactly once", async () => {
    const posts = [];
    for (let i = 0; i < 8; i++) {
      // Beyond the API's lookahead (16 s here), so only the dispatchers send them.
      posts.push(
        await s.schedule(key, i % 2 ? ig : fb, {
          caption: `two dispatchers ${i}`,
          media: i % 2 ? [s.media("image.jpg")] : [],
          inMs: 19_000,
        }),
      );
    }
    await sleep(4_000); // now inside the lookahead
    const [a, b] = await Promise.all([runDispatcher(), runDispatcher()]);
    expect(a.sent + b.sent).toBeGreaterThanOrEqual(8);
    const done = await Promise.all(posts.map((p) => s.waitFinal(key, p.id, 40_000)));
    expect(done.map((p) => p.status)).toEqual(Array(8).fill("published"));
    for (let i = 0; i < 8; i++) expect(s.copies(`two dispatchers ${i}`)).toBe(1);
  });

  it("DLQ replay: a published post's message changes nothing; a retryable one publishes once", async () => {
    // A post already published, whose (stale) message sits in the DLQ.
    const published = await s.schedule(key, fb, { caption: "dlq published", media: [] });
    await s.waitFinal(key, published.id);
    const before = (await s.api<{ version: number }>("GET", `/v1/posts/${published.id}`, undefined, key)).body;
    await send(publishQueue().dlqUrl, { kind: "publish", postId: published.id, version: before.version - 3 });

    // A post whose only message exhausted its receives while the consumer was down.
    const poller = s.runtime.pollers.publish;
    await poller?.stop(5_000);
    const stuck = await s.schedule(key, ig, { caption: "dlq retryable", media: [s.media("image.jpg")], inMs: 1000 });
    await sleep(2_000);
    const got = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: publishQueue().url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    );
    for (const m of got.Messages ?? []) {
      await send(publishQueue().dlqUrl, JSON.parse(m.Body as string));
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: publishQueue().url, ReceiptHandle: m.ReceiptHandle as string }),
      );
    }
    await poller?.start();

    const peek = await s.api<{ items: Array<{ body: { postId: string } }> }>("GET", "/v1/ops/dlq/publish?limit=10");
    expect(peek.body.items.map((i) => i.body.postId).sort()).toEqual([published.id, stuck.id].sort());
    const dry = await s.api<{ replayed: number }>("POST", "/v1/ops/dlq/publish/replay", { dryRun: true });
    expect(dry.body.replayed).toBe(2);
    const replay = await s.api<{ replayed: number }>("POST", "/v1/ops/dlq/publish/replay", {});
    expect(replay.body.replayed).toBe(2);

    expect((await s.waitFinal(key, stuck.id)).status).toBe("published");
    await sleep(1_500);
    expect(s.copies("dlq retryable")).toBe(1);
    expect(s.copies("dlq published")).toBe(1);
    const after = (await s.api<{ version: number; status: string }>("GET", `/v1/posts/${published.id}`, undefined, key))
      .body;
    expect(after).toMatchObject({ status: "published", version: before.version });
    const depth = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: publishQueue().dlqUrl,
        AttributeNames: ["ApproximateNumberOfMessages"],
      }),
    );
    expect(Number(depth.Attributes?.ApproximateNumberOfMessages)).toBe(0);
  });

  it("database failures under the worker: the write fails, the message backs off and retries, published once", async () => {
    // Every UpdateItem fails for a while (throttling, an outage): claims and step writes fail.
    let failing = 4;
    const raw = new DynamoDBClient({ endpoint: s.runtime.dynamoEndpoint, maxAttempts: 1 });
    raw.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "UpdateItemCommand" && failing > 0) {
          failing--;
          throw Object.assign(new Error("Throughput exceeds the current capacity of your table"), {
            name: "ProvisionedThroughputExceededException",
          });
        }
        return next(args);
      },
      { step: "initialize", name: "injectDynamoFailures" },
    );
    setDynamo(DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }));
    try {
      const created = await s.api<{ id: string }>(
        "POST",
        "/v1/posts",
        { accountId: fb, caption: "db down", media: [] },
        key,
      );
      failing = 0;
      // A lead the API cannot overtake even on a busy machine (a 1.5 s lead raced it there).
      const at = new Date(Date.now() + 5_000).toISOString();
      const scheduled = await s.api("POST", `/v1/posts/${created.body.id}/schedule`, { scheduledFor: at }, key);
      expect(scheduled.status).toBe(200);
      failing = 4; // now the worker's claim and writes fail
      const done = await s.waitFinal(key, created.body.id, 40_000);
      expect(done.status).toBe("published");
      expect(failing).toBe(0);
      expect(s.copies("db down")).toBe(1);
    } finally {
      setDynamo(undefined);
    }
  });

  it("the operator CLI lists queue depths and replays dead letters of one post", async () => {
    const post = await s.schedule(key, fb, { caption: "cli replay", media: [] });
    await s.waitFinal(key, post.id);
    await send(publishQueue().dlqUrl, { kind: "publish", postId: post.id, version: 1 });
    await send(publishQueue().dlqUrl, { kind: "publish", postId: "post_other", version: 1 });
    const cli = (...args: string[]) =>
      run("node", ["--import", "tsx", "packages/local/src/ops-cli.ts", ...args], {
        env: { ...process.env, STUDIO_API_URL: s.runtime.apiUrl, STUDIO_ADMIN_TOKEN: s.runtime.adminToken },
      });
    const queues = await cli("queues");
    expect(queues.stdout).toContain("publish");
    const dry = await cli("replay", "publish", "--dry-run", "--filter", `postId=${post.id}`);
    expect(dry.stdout).toContain("1 would be replayed");
    const real = await cli("replay", "publish", "--limit", "5", "--filter", `postId=${post.id}`);
    expect(real.stdout).toContain("replayed 1");
    await sleep(1_500);
    expect(s.copies("cli replay")).toBe(1);
    const left = await s.api<{ items: Array<{ body: { postId: string } }> }>("GET", "/v1/ops/dlq/publish?limit=10");
    expect(left.body.items.map((i) => i.body.postId)).toEqual(["post_other"]);
  });

  it("a database failure during a dispatcher run is recorded and the next run sends the post", async () => {
    const post = await s.schedule(key, fb, { caption: "dispatcher db down", media: [], inMs: 19_000 });
    await sleep(4_000); // inside the lookahead, not yet sent (beyond the API's at schedule time)
    let failing = true;
    const raw = new DynamoDBClient({ endpoint: s.runtime.dynamoEndpoint, maxAttempts: 1 });
    raw.middlewareStack.add(
      (next, context) => async (args) => {
        if (failing && context.commandName === "QueryCommand") {
          throw Object.assign(new Error("Internal server error"), { name: "InternalServerError" });
        }
        return next(args);
      },
      { step: "initialize", name: "failQueries" },
    );
    setDynamo(DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }));
    try {
      await expect(runDispatcher()).rejects.toThrow();
    } finally {
      failing = false;
      setDynamo(undefined);
    }
    const { db } = await import("@studio/core/db/service");
    const runs = await db().entities.jobRun.query.byJob({ job: "publishDispatcher" }).go({ order: "desc", limit: 1 });
    expect(runs.data[0]?.status).toBe("error");
    const next = await runDispatcher();
    expect(next.sent).toBeGreaterThanOrEqual(1);
    expect((await s.waitFinal(key, post.id, 40_000)).status).toBe("published");
    expect(s.copies("dispatcher db down")).toBe(1);
  });

  it("a queue failure while scheduling does not lose the post: the dispatcher sends it", async () => {
    const broken = new SQSClient({ endpoint: "http://127.0.0.1:9", maxAttempts: 1 });
    const { setSqs } = await import("@studio/core/queue/sqs");
    setSqs(broken);
    let post: { id: string };
    try {
      post = await s.schedule(key, fb, { caption: "queue down at schedule", media: [], inMs: 1500 });
    } finally {
      setSqs(undefined);
    }
    await sleep(2_000);
    expect((await s.api<{ status: string }>("GET", `/v1/posts/${post.id}`, undefined, key)).body.status).toBe(
      "scheduled",
    );
    await runDispatcher();
    expect((await s.waitFinal(key, post.id)).status).toBe("published");
    expect(s.copies("queue down at schedule")).toBe(1);
  });
});
