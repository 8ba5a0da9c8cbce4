import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { queues } from "@studio/core/config/jobs";
import { db } from "@studio/core/db/service";
import { sqs } from "@studio/core/queue/sqs";
import { connectedEnv } from "@studio/local/testing/connected";
import { beforeAll, describe, expect, it } from "vitest";
import { adminToken, call, image, newAccount, newWorkspace } from "./testing/client";

describe("ops routes (connected)", () => {
  let key: string;
  let accountId: string;

  beforeAll(async () => {
    await connectedEnv();
    ({ ownerKey: key } = await newWorkspace("Ops"));
    accountId = await newAccount(key);
  });

  const unconfirmedPost = async (extra: Record<string, unknown> = {}) => {
    const post = await call("POST", "/v1/posts", { token: key, body: { accountId, caption: "x", media: image } });
    await db()
      .entities.post.patch({ id: post.body.id })
      .set({
        status: "unconfirmed",
        version: 7,
        lastError: { code: "post.outcome_unknown", message: "timeout" },
        leaseShard: 1,
        leaseUntil: new Date().toISOString(),
        ...extra,
      })
      .go();
    return post.body.id as string;
  };
  const settle = (id: string, body: unknown, token = adminToken()) =>
    call("POST", `/v1/ops/posts/${id}/settle`, { token, body });

  it("reports every queue's depth and its DLQ's", async () => {
    await sqs().send(
      new SendMessageCommand({ QueueUrl: process.env.STUDIO_QUEUE_URL_PUBLISH, MessageBody: "{}", DelaySeconds: 600 }),
    );
    await sqs().send(new SendMessageCommand({ QueueUrl: process.env.STUDIO_QUEUE_URL_METRICS, MessageBody: "{}" }));
    await sqs().send(new SendMessageCommand({ QueueUrl: process.env.STUDIO_DLQ_URL_REPORT, MessageBody: "{}" }));
    const res = await call("GET", "/v1/ops/queues", { token: adminToken() });
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.body.items.map((q: { queue: string }) => [q.queue, q]));
    expect(Object.keys(byName).sort()).toEqual(Object.keys(queues).sort());
    expect(byName.publish).toMatchObject({ delayed: 1, visible: 0, deadLetters: 0 });
    expect(byName.metrics).toMatchObject({ visible: 1, inFlight: 0 });
    expect(byName.report).toMatchObject({ visible: 0, deadLetters: 1 });
  });

  it("settles an unconfirmed post as published, once", async () => {
    const id = await unconfirmedPost();
    const missing = await settle(id, { outcome: "published" });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toEqual([{ path: "externalPostId", message: expect.any(String) }]);

    const res = await settle(id, { outcome: "published", externalPostId: "17890001" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "published", externalPostId: "17890001", version: 8, lastError: null });
    expect(res.body.publishedAt).toEqual(expect.any(String));
    const item = (await db().entities.post.get({ id }).go()).data;
    expect(item).not.toHaveProperty("leaseUntil");
    expect(item).not.toHaveProperty("leaseShard");

    const again = await settle(id, { outcome: "failed" });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("post.state_conflict");
  });

  it("settles an unconfirmed post as failed, with the reason", async () => {
    const id = await unconfirmedPost();
    const res = await settle(id, { outcome: "failed", reason: "Not on the page; checked by hand." });
    expect(res.body).toMatchObject({
      status: "failed",
      lastError: { code: "post.settled_failed", message: "Not on the page; checked by hand." },
    });
  });

  it("refuses other states, unknown posts, bad bodies and workspace keys", async () => {
    const post = await call("POST", "/v1/posts", { token: key, body: { accountId, caption: "x", media: image } });
    expect((await settle(post.body.id, { outcome: "failed" })).status).toBe(409);
    const unknown = await settle("post_nope", { outcome: "failed" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("post.not_found");
    const bad = await settle(post.body.id, { outcome: "maybe" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe("outcome");
    expect((await settle(post.body.id, { outcome: "failed" }, key)).status).toBe(403);
  });

  it("peeks at dead letters and replays them (dry run first)", async () => {
    const body = JSON.stringify({ kind: "publish", postId: "post_dead", version: 3 });
    await sqs().send(new SendMessageCommand({ QueueUrl: process.env.STUDIO_DLQ_URL_PUBLISH, MessageBody: body }));
    const peek = await call("GET", "/v1/ops/dlq/publish?limit=5", { token: adminToken() });
    expect(peek.status).toBe(200);
    expect(peek.body.items).toEqual([expect.objectContaining({ body: JSON.parse(body) })]);

    const dry = await call("POST", "/v1/ops/dlq/publish/replay", { token: adminToken(), body: { dryRun: true } });
    expect(dry.body).toMatchObject({ replayed: 1, dryRun: true });
    const stillThere = await call("GET", "/v1/ops/queues", { token: adminToken() });
    expect(stillThere.body.items.find((q: { queue: string }) => q.queue === "publish").deadLetters).toBe(1);

    const real = await call("POST", "/v1/ops/dlq/publish/replay", { token: adminToken() });
    expect(real.status).toBe(200);
    expect(real.body).toMatchObject({ replayed: 1, skipped: 0, dryRun: false });
    const after = await call("GET", "/v1/ops/queues", { token: adminToken() });
    expect(after.body.items.find((q: { queue: string }) => q.queue === "publish")).toMatchObject({
      deadLetters: 0,
      visible: 1,
    });

    expect((await call("GET", "/v1/ops/dlq/nope", { token: adminToken() })).status).toBe(400);
  });

  it("reports 503 on /health when a queue does not answer", async () => {
    expect((await call("GET", "/health")).body.status).toBe("ok");
    const url = process.env.STUDIO_QUEUE_URL_COMPETITORS as string;
    process.env.STUDIO_QUEUE_URL_COMPETITORS = `${url}-missing`;
    try {
      const res = await call("GET", "/health");
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ status: "unavailable", checks: { table: true, queues: false } });
    } finally {
      process.env.STUDIO_QUEUE_URL_COMPETITORS = url;
    }
  });
});
