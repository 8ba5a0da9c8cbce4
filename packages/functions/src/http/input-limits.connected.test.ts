import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { queueDepths } from "@studio/core/ops/queues";
import { sqs } from "@studio/core/queue/sqs";
import { connectedEnv } from "@studio/local/testing/connected";
import { beforeAll, describe, expect, it } from "vitest";
import { adminToken, call, fromNow, HOUR, image, newAccount, newWorkspace } from "./testing/client";

/**
 * Issue 8, part 3: every input bounded and validated at the edge. Each probe of the issue is
 * sent as an attacker would, and answers a documented 4xx (never a 500), with nothing stored.
 */
describe("inputs bounded and validated at the edge (connected)", () => {
  let key: string;
  let accountId: string;

  beforeAll(async () => {
    await connectedEnv();
    ({ ownerKey: key } = await newWorkspace("Limits"));
    accountId = await newAccount(key);
  });

  const workspaceWith = (rawProfile: string) =>
    call("POST", "/v1/workspaces", {
      token: adminToken(),
      rawBody: `{"name":"Probe","timezone":"Europe/Paris","brandProfile":${rawProfile}}`,
    });
  const nested = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;

  it.each([
    ["an infinite number", '{"x":1e999}', "brandProfile.x"],
    ["an empty key", '{"":1}', "brandProfile."],
    ["a 30-digit number", '{"x":123456789012345678901234567890}', "brandProfile.x"],
    ["40 levels deep (refused by the edge's depth limit)", nested(40), "body"],
    ["12 levels deep (refused by the map's own limit)", nested(12), expect.stringMatching(/^brandProfile\.a/)],
    ["a 1 MB string", `{"x":"${"x".repeat(1024 * 1024)}"}`, "body"],
    ["a 20 KB string", `{"x":"${"x".repeat(20 * 1024)}"}`, "brandProfile.x"],
  ])("brandProfile with %s is a 400", async (_probe, raw, path) => {
    const res = await workspaceWith(raw);
    expect(res.status, res.text).toBeLessThan(500);
    if (res.status === 413) return expect(res.body.error.code).toBe("request.too_large");
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
    expect(res.body.error.details).toContainEqual({ path, message: expect.any(String) });
  });

  it("a body nested 10,000 deep is a 400, not a stack overflow", async () => {
    const res = await workspaceWith(nested(10_000));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "validation_failed", details: [{ path: "body" }] });
  });

  it("a 1 MB string is refused by size before it is parsed (413)", async () => {
    const res = await workspaceWith(`{"x":"${"x".repeat(1024 * 1024)}"}`);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("request.too_large");
  });

  it("a post body may be larger than the default (captions, media lists), up to its own limit", async () => {
    const caption = "é".repeat(2000);
    const ok = await call("POST", "/v1/posts", {
      token: key,
      body: { accountId, caption, media: image, padding: "x".repeat(100 * 1024) },
    });
    expect(ok.status, ok.text).toBe(201);
    const tooBig = await call("POST", "/v1/posts", {
      token: key,
      body: { accountId, caption, media: image, padding: "x".repeat(600 * 1024) },
    });
    expect(tooBig.status).toBe(413);
  });

  it("a reversed from/to is a 400 naming `to`", async () => {
    const res = await call("GET", "/v1/posts?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z", { token: key });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "validation_failed", details: [{ path: "to" }] });
  });

  it.each([
    ["a day that does not exist", "2026-11-31T12:00:00Z"],
    ["29 February of a common year", "2027-02-29T12:00:00Z"],
    ["a year past 9999", "10000-01-01T00:00:00Z"],
    ["an expanded year", "+010000-01-01T00:00:00Z"],
  ])("scheduling for %s is a 400, never a rolled-over date", async (_why, when) => {
    const draft = await call("POST", "/v1/posts", { token: key, body: { accountId, caption: "d", media: image } });
    const res = await call("POST", `/v1/posts/${draft.body.id}/schedule`, { token: key, body: { scheduledFor: when } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "validation_failed", details: [{ path: "scheduledFor" }] });
    const after = await call("GET", `/v1/posts/${draft.body.id}`, { token: key });
    expect(after.body).toMatchObject({ status: "draft", scheduledFor: null });
  });

  it("a real date still schedules", async () => {
    const draft = await call("POST", "/v1/posts", { token: key, body: { accountId, caption: "r", media: image } });
    const when = fromNow(2 * HOUR);
    const res = await call("POST", `/v1/posts/${draft.body.id}/schedule`, { token: key, body: { scheduledFor: when } });
    expect(res.status).toBe(200);
  });

  it("a body the route needs, sent with the wrong content type, is a 400 (never the defaults)", async () => {
    const create = await call("POST", "/v1/posts", {
      token: key,
      rawBody: JSON.stringify({ accountId, caption: "c", media: image }),
      headers: { "content-type": "text/plain" },
    });
    expect(create.status).toBe(400);
    expect(create.body.error).toMatchObject({ code: "validation_failed", details: [{ path: "body" }] });
  });

  it('"dryRun" sent as text/plain is a 400 and replays nothing', async () => {
    await sqs().send(
      new SendMessageCommand({
        QueueUrl: process.env.STUDIO_DLQ_URL_PUBLISH,
        MessageBody: JSON.stringify({ postId: "p" }),
      }),
    );
    const depth = async () => (await queueDepths()).find((q) => q.queue === "publish")!;
    const before = await depth();
    expect(before.deadLetters).toBe(1);

    const res = await call("POST", "/v1/ops/dlq/publish/replay", {
      token: adminToken(),
      rawBody: '{"dryRun":true}',
      headers: { "content-type": "text/plain" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
    const after = await depth();
    expect([after.deadLetters, after.visible, after.delayed]).toEqual([1, before.visible, before.delayed]);
  });
});
