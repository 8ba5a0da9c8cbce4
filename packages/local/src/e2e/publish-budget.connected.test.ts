import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { env } from "@studio/core/config/env";
import { createDynamo, setDynamo } from "@studio/core/db/client";
import { db } from "@studio/core/db/service";
import { messageFailures } from "@studio/core/queue/failures";
import { createSqs, sendMessage, setSqs } from "@studio/core/queue/sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { invokeHandler, type LambdaHandler, lambdaContext, loadHandler } from "../runtime/handler-module";
import { sqsEvent } from "../runtime/sqs-event";
import { withAwsEnv } from "../testing/aws-env";
import { type StallProxy, stallProxy } from "../testing/stall-proxy";
import { type Media, startTestStudio, TEST_TIMING, type TestStudio } from "../testing/studio";

/**
 * A record's time budget (issue 7, part 2) through the publish queue's real handler, given
 * SQS-shaped batches and a Lambda-like context: a media host that hangs in a batch of ten, a
 * DynamoDB or SQS connection that hangs (a TCP proxy in front of DynamoDB Local or fauxqs that
 * holds one request), and a record stuck where no budget reaches (the record-returned-alone
 * guard). The
 * invocation returns within its timeout (`invokeHandler` fails it otherwise), the stuck record
 * alone is handed back, its post stays in a stated status and is published once later.
 */
const FUNCTION_TIMEOUT_S = 12;

describe("a record's time budget in a batch (connected)", () => {
  let s: TestStudio;
  let key: string;
  let proxy: StallProxy;
  let publish: LambdaHandler;
  let n = 0;

  beforeAll(async () => {
    // A 12 s function (room for a loaded machine): 2 s margin, the final call needs 3 s left (production: 30 s, 2 s, 12 s);
    // a media probe's own timeout longer than the function: only the budget can cut it.
    process.env.STUDIO_PUBLISH_TIMING = JSON.stringify({
      ...TEST_TIMING,
      invocation: {
        marginMs: 2_000,
        callTimeoutMs: 2_000,
        mediaProbeMs: 20_000,
        lockWaitMs: 1_000,
        finalCallReserveMs: 3_000,
      },
    });
    // Leases outlast the function, as in production (2 min over 30 s): the sweep leaves a
    // running record's post alone.
    process.env.STUDIO_LEASE_MS = "15000";
    s = await startTestStudio();
    ({ key } = await s.workspace());
    proxy = await stallProxy(s.runtime.dynamoEndpoint);
    publish = await loadHandler("packages/functions/src/queue/publish.handler");
  });
  afterEach(() => {
    proxy.release();
    setDynamo(undefined);
  });
  afterAll(async () => {
    await proxy?.close();
    await s?.stop();
  });

  const stored = async (id: string) => (await db().entities.post.get({ id }).go({ consistent: true })).data;

  /** Facebook text posts on their own accounts, due now, that no queue message points at yet. */
  async function duePosts(count: number, what: string, media: (i: number) => Media[] = () => []) {
    return Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const acct = await s.connect(key, "facebook");
        const caption = `${what} #${++n}`;
        // Scheduled far ahead (no message sent, not in the dispatcher's window), then made due:
        // only the batch below carries it.
        const post = await s.schedule(key, acct.id, { caption, media: media(i), inMs: 600_000 });
        await db()
          .entities.post.patch({ id: post.id })
          .set({ scheduledFor: new Date(Date.now() - 1_000).toISOString() })
          .go();
        const body = { kind: "publish", postId: post.id, version: post.version as number };
        return { id: post.id, caption, page: acct.externalAccountId, body };
      }),
    );
  }

  function batch(bodies: unknown[]): SQSEvent {
    const queue = s.runtime.queues.publish as { arn: string };
    return sqsEvent(
      bodies.map((b, i) => ({
        MessageId: randomUUID(),
        ReceiptHandle: `receipt-${i}-${randomUUID()}`,
        Body: JSON.stringify(b),
        Attributes: { ApproximateReceiveCount: "1" },
      })),
      queue.arn,
    );
  }

  const invoke = (event: SQSEvent) =>
    invokeHandler<SQSBatchResponse>(
      publish,
      event,
      lambdaContext("studio-publish", FUNCTION_TIMEOUT_S, randomUUID()),
      FUNCTION_TIMEOUT_S,
    );

  it("a hung DynamoDB answer in a batch: cut at the record's budget, the record handed back alone, published once later", async () => {
    const posts = await duePosts(3, "hung table");
    const [stuck] = posts as [(typeof posts)[number]];
    // The claim of the first post reaches the table; its answer never comes back.
    proxy.stall({ marker: stuck.id, skip: 1 });
    // Only the budget can end that request (the client's own timeout is far away).
    setDynamo(withAwsEnv({ STUDIO_AWS_REQUEST_TIMEOUT_MS: "120000" }, () => createDynamo({ endpoint: proxy.url })));

    const event = batch(posts.map((p) => p.body));
    const result = await invoke(event); // throws FunctionTimeoutError past the function's timeout
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    expect(proxy.stalled).toBe(1);
    await expect.poll(() => proxy.abandoned).toBe(1); // the budget's abort closed the hung connection
    proxy.release();
    setDynamo(undefined);

    const reason = (await messageFailures([event.Records[0]?.messageId as string])).values().next().value;
    expect(reason?.lastReason).toMatch(/did not answer in time/);
    for (const p of posts.slice(1)) {
      expect((await stored(p.id))?.status).toBe("published");
      expect(s.copies(p.caption)).toBe(1);
    }
    // A stated status: the claim took effect (its answer was lost), nothing irreversible started.
    const item = await stored(stuck.id);
    expect(item).toMatchObject({ status: "publishing", attempts: 1 });
    expect(item?.finalCallAt).toBeUndefined();
    expect(s.sims.control.calls({ operation: "facebook.create_post", accountId: stuck.page })).toHaveLength(0);

    // SQS brings the message back (here: sent again); the post is published once.
    await sendMessage("publish", stuck.body);
    const done = await s.waitFinal(key, stuck.id, 30_000);
    expect(done.status).toBe("published");
    expect(s.copies(stuck.caption)).toBe(1);
  });

  it("a media host that hangs in a batch of ten: one invocation, the probe cut by the budget, the nine others published, the tenth handed back alone", async () => {
    const hung = `sized/50000/hang-${randomUUID()}.jpg`;
    const outage = s.sims.control.addFault({ operation: "media.fetch", type: "timeout", rate: 1, accountId: hung });
    const posts = await duePosts(10, "batch of ten", (i) => [s.media(i === 0 ? hung : "image.jpg")]);
    const [stuck] = posts as [(typeof posts)[number]];

    const event = batch(posts.map((p) => p.body));
    const result = await invoke(event); // one invocation of ten records, within its timeout
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    for (const p of posts.slice(1)) {
      expect((await stored(p.id))?.status).toBe("published");
      expect(s.copies(p.caption)).toBe(1);
    }
    // Cut at the budget (the probe's own timeout is 20 s), a retry recorded, nothing sent.
    const item = await stored(stuck.id);
    expect(item).toMatchObject({ status: "publishing", lastError: { code: "media.host_unavailable" } });
    expect(item?.finalCallAt).toBeUndefined();
    expect(s.sims.control.calls({ operation: "facebook.create_post", accountId: stuck.page })).toHaveLength(0);

    // The host answers again; the message comes back: published once.
    s.sims.control.clearFaults(outage.id);
    await sendMessage("publish", stuck.body);
    expect((await s.waitFinal(key, stuck.id, 30_000)).status).toBe("published");
    expect(s.copies(stuck.caption)).toBe(1);
  });

  it("a hung SQS connection: the early message's re-send is cut at the budget, the record handed back, the post goes out once on time", async () => {
    const sqsProxy = await stallProxy(s.runtime.sqsEndpoint);
    try {
      const [early] = await duePosts(1, "hung queue");
      const post = early as NonNullable<typeof early>;
      // Due in 6 s: the worker re-sends the message with the remaining delay — and the queue hangs.
      const at = new Date(Date.now() + 6_000).toISOString();
      await db().entities.post.patch({ id: post.id }).set({ scheduledFor: at }).go();
      sqsProxy.stall({ marker: post.id, mode: "request" }); // the send never reaches the queue
      setSqs(createSqs({ endpoint: sqsProxy.url }));

      const event = batch([post.body]);
      const result = await invoke(event);
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
      // The client's 5 s request timeout ends the first attempt, the budget's abort the retry:
      // every hung connection was closed by the client.
      expect(sqsProxy.stalled).toBeGreaterThanOrEqual(1);
      await expect.poll(() => sqsProxy.abandoned).toBe(sqsProxy.stalled);
      setSqs(undefined);
      expect((await stored(post.id))?.status).toBe("scheduled"); // nothing else changed

      await sendMessage("publish", post.body); // SQS brings it back
      const done = await s.waitFinal(key, post.id, 30_000);
      expect(done.status).toBe("published");
      expect(Date.parse(done.publishedAt as string)).toBeGreaterThanOrEqual(Date.parse(at) - 1_000);
      expect(s.copies(post.caption)).toBe(1);
    } finally {
      setSqs(undefined);
      await sqsProxy.close();
    }
  });

  it("a record stuck where no budget reaches is returned alone at the end of its budget: the others are not redelivered", async () => {
    const posts = await duePosts(3, "stuck record");
    const [stuck] = posts as [(typeof posts)[number]];
    // A client with neither timeouts nor the budget's signal: the first read of the post hangs.
    proxy.stall({ marker: stuck.id, mode: "request" });
    setDynamo(
      DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: proxy.url, maxAttempts: 1 }), {
        marshallOptions: { removeUndefinedValues: true },
      }),
    );

    const event = batch(posts.map((p) => p.body));
    const result = await invoke(event);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    expect(proxy.stalled).toBe(1);
    proxy.release();
    setDynamo(undefined);

    // Why it failed is recorded best effort, in what is left of the invocation (a few ms here).
    const reason = (await messageFailures([event.Records[0]?.messageId as string])).values().next().value;
    if (reason) expect(reason.lastReason).toBe("record overran its time budget");
    for (const p of posts.slice(1)) {
      expect((await stored(p.id))?.status).toBe("published");
      expect(s.copies(p.caption)).toBe(1);
    }
    expect((await stored(stuck.id))?.status).toBe("scheduled"); // the read never arrived: nothing changed

    await sendMessage("publish", stuck.body);
    expect((await s.waitFinal(key, stuck.id, 30_000)).status).toBe("published");
    expect(s.copies(stuck.caption)).toBe(1);
  });

  it("outside any budget, a hung connection ends at the client's request timeout (and is retried, then fails)", async () => {
    const client = withAwsEnv({ STUDIO_AWS_REQUEST_TIMEOUT_MS: "300", STUDIO_AWS_MAX_ATTEMPTS: "2" }, () =>
      createDynamo({ endpoint: proxy.url }),
    );
    const marker = `hung-${randomUUID()}`;
    proxy.stall({ marker });
    await expect(
      client.send(new GetCommand({ TableName: env.tableName(), Key: { pk: marker, sk: marker } })),
    ).rejects.toMatchObject({ name: "TimeoutError" });
    expect(proxy.stalled).toBe(2); // each attempt hung
    await expect.poll(() => proxy.abandoned).toBe(2); // and the client closed both
  });
});
