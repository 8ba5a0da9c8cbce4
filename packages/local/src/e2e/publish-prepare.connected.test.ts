import { dynamo } from "@studio/core/db/client";
import { db } from "@studio/core/db/service";
import type { PostItem } from "@studio/core/post/post";
import { handlePublishMessage } from "@studio/core/publish/worker";
import { sendMessages } from "@studio/core/queue/sqs";
import { afterAll, beforeAll, describe, it } from "vitest";
import { startTestStudio, TEST_TIMING, type TestStudio } from "../testing/studio";

/**
 * Preparing ahead (publish/prepare.ts): an Instagram container made before the post's time,
 * taken by the claim only for the version it was made for; and messages that arrive early. The
 * dispatcher runs on its real one-minute period, so the messages are the ones the API sent at
 * scheduling: the prepare message `LEAD` before the post's time, the publish message at it.
 * Posts are scheduled 24 s ahead: the prepare arrives after 8 s, 16 s before the post is due —
 * room for a loaded machine: an edit must still land before edits close (4.5 s before the
 * post's time, config/edits.ts) — and no assertion depends on how late within that it comes.
 */
const LEAD = 16_000;
const AHEAD = 24_000;

// The scenarios run side by side (each on its own account), so the file takes one post's lead.
describe.concurrent("preparing ahead of the post's time (connected)", () => {
  let s: TestStudio;
  let key: string;
  const tag = Math.random().toString(36).slice(2, 8);
  beforeAll(async () => {
    process.env.STUDIO_PUBLISH_TIMING = JSON.stringify({
      ...TEST_TIMING,
      prepare: { leadMs: { instagram: LEAD, facebook: 0, tiktok: LEAD }, minLeadMs: 3_000 },
      delivery: { arriveEarlyMs: 1_000, waitEarlyMaxMs: 6_000 },
    });
    s = await startTestStudio({ dispatcherSeconds: 60 });
    ({ key } = await s.workspace());
  });
  afterAll(() => s?.stop());

  const item = async (id: string) => (await db().entities.post.get({ id }).go({ consistent: true })).data as PostItem;
  /** Until the post is prepared for its current version (or published: then the test fails on its own terms). */
  const prepared = async (id: string) => {
    const until = Date.now() + AHEAD + 20_000;
    for (;;) {
      const p = await item(id);
      if (p.status !== "scheduled" || (p.preparedVersion === p.version && p.preparedAt)) return p;
      if (Date.now() > until) throw new Error(`post ${id} was never prepared: ${JSON.stringify(p)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const calls = (operation: string, accountId: string) => s.sims.control.calls({ operation, accountId });

  it("Instagram: the container created ahead is the one published at the post's time, once", async ({ expect }) => {
    const ig = await s.connect(key, "instagram");
    const caption = `prepared ig ${tag}`;
    const post = await s.schedule(key, ig.id, { caption, media: [s.media("image.jpg")], inMs: AHEAD });
    const ready = await prepared(post.id);
    expect(ready.status).toBe("scheduled");
    expect(ready.version, "preparing does not bump the version").toBe(post.version);
    expect(Date.parse(ready.preparedAt as string)).toBeLessThan(Date.parse(post.scheduledFor as string));

    const done = await s.waitFinal(key, post.id, 40_000);
    expect(done.status).toBe("published");
    expect(Date.parse(done.publishedAt as string)).toBeGreaterThanOrEqual(Date.parse(post.scheduledFor as string));
    const after = await item(post.id);
    expect(after.containerId).toBe(ready.preparedContainerId);
    expect(after.step).toBe("published");
    expect(after.preparedContainerId).toBeUndefined();
    expect(calls("instagram.container_create", ig.externalAccountId)).toHaveLength(1);
    expect(s.copies(caption)).toBe(1);
  });

  it("Instagram: a caption edit after the container was prepared → a new container; the old one is never published", async ({
    expect,
  }) => {
    const ig = await s.connect(key, "instagram");
    const post = await s.schedule(key, ig.id, {
      caption: `before edit ${tag}`,
      media: [s.media("image.jpg")],
      inMs: AHEAD,
    });
    const ready = await prepared(post.id);
    const edit = await s.api<{ version: number }>(
      "PATCH",
      `/v1/posts/${post.id}`,
      { caption: `after edit ${tag}`, version: ready.version },
      key,
    );
    expect(edit.status).toBe(200);
    // The prepare message of the old version, delivered again: it prepares nothing.
    expect(await handlePublishMessage({ kind: "prepare", postId: post.id, version: ready.version })).toEqual({
      kind: "ack",
      note: "stale prepare message",
    });

    const done = await s.waitFinal(key, post.id, 40_000);
    expect(done.status).toBe("published");
    const after = await item(post.id);
    expect(after.containerId).toBeDefined();
    expect(after.containerId).not.toBe(ready.preparedContainerId);
    expect(s.copies(`after edit ${tag}`)).toBe(1);
    expect(s.copies(`before edit ${tag}`)).toBe(0);
  });

  it("Instagram: a failed preparation never fails the post: it is published at its time, once", async ({ expect }) => {
    const ig = await s.connect(key, "instagram");
    // The first container creation (the preparation's) fails with a 500.
    s.sims.control.addFault({
      operation: "instagram.container_create",
      type: "server_error",
      accountId: ig.externalAccountId,
      times: 1,
    });
    const caption = `prepare failed ${tag}`;
    const post = await s.schedule(key, ig.id, { caption, media: [s.media("image.jpg")], inMs: AHEAD });
    const done = await s.waitFinal(key, post.id, 40_000);
    expect(done.status).toBe("published");
    expect(done.attempts).toBe(1);
    expect(Date.parse(done.publishedAt as string)).toBeGreaterThanOrEqual(Date.parse(post.scheduledFor as string));
    const creates = calls("instagram.container_create", ig.externalAccountId);
    expect(creates).toHaveLength(2);
    expect(creates[0]?.fault, "the preparation's call got the fault").toBeDefined();
    expect(creates[0]?.at as number).toBeLessThan(Date.parse(post.scheduledFor as string));
    expect(s.copies(caption)).toBe(1);
  });

  it("a message arriving seconds early waits and claims at the post's time, never before; init only after the claim", async ({
    expect,
  }) => {
    const tt = await s.connect(key, "tiktok");
    const caption = `early wait tt ${tag}`;
    const post = await s.schedule(key, tt.id, { caption, media: [s.media("video.mp4")], inMs: AHEAD });
    // The worker is handed the post's message on a clock that reads 5 s before its time (a
    // controllable clock: it waits 5 s of real time whatever the machine's load).
    const due = Date.parse(post.scheduledFor as string);
    const shift = due - 5_000 - Date.now();
    const outcome = await handlePublishMessage(
      { kind: "publish", postId: post.id, version: post.version as number },
      { now: () => Date.now() + shift },
    );
    expect(outcome).toEqual({ kind: "ack", note: "published" });
    const after = await item(post.id);
    expect(Date.parse(after.claimedAt as string), "never claimed before the post's time").toBeGreaterThanOrEqual(due);
    expect(Date.parse(after.receivedAt as string)).toBeLessThan(due - 4_000);
    const claimedReal = Date.parse(after.claimedAt as string) - shift;
    const inits = calls("tiktok.init", tt.externalAccountId);
    expect(inits).toHaveLength(1);
    expect(inits[0]?.at as number, "init only after the claim").toBeGreaterThanOrEqual(claimedReal);
    expect(s.copies(caption)).toBe(1);
  });

  it("TikTok: creator_info and the media check are done ahead and travel in the publish message (no write); at its time only init and the polls", async ({
    expect,
  }) => {
    const tt = await s.connect(key, "tiktok");
    const caption = `prepared tt ${tag}`;
    const post = await s.schedule(key, tt.id, { caption, media: [s.media("video.mp4")], inMs: AHEAD });
    const due = Date.parse(post.scheduledFor as string);
    const scheduled = await item(post.id);
    // Until the preparation has read creator_info (then it sends the publish message)…
    const until = Date.now() + AHEAD + 20_000;
    while (!calls("tiktok.creator_info", tt.externalAccountId).length) {
      if (Date.now() > until) throw new Error("creator_info was never read ahead");
      await new Promise((r) => setTimeout(r, 100));
    }
    // …and nothing was written for it: the item is as the API left it (claimed only at its time).
    const afterPrepare = await item(post.id);
    if (afterPrepare.status === "scheduled") expect(afterPrepare).toEqual(scheduled);
    expect(afterPrepare.preparedVersion).toBeUndefined();

    const done = await s.waitFinal(key, post.id, 40_000);
    expect(done.status).toBe("published");
    const infos = calls("tiktok.creator_info", tt.externalAccountId);
    expect(infos, "creator_info read once, ahead").toHaveLength(1);
    expect(infos[0]?.at as number).toBeLessThan(due);
    const inits = calls("tiktok.init", tt.externalAccountId);
    expect(inits).toHaveLength(1);
    expect(inits[0]?.at as number, "init never before the post's time").toBeGreaterThanOrEqual(due);
    const after = await item(post.id);
    // The claim took the privacy level the preparation carried in the publish message, and
    // recorded the final call (with the media ticket) in the same write.
    expect(after.privacyLevel).toBe("PUBLIC_TO_EVERYONE");
    expect(after.finalCallAt, "the final call recorded by the claim itself").toBe(after.claimedAt);
    expect(after.pulledTicket, "TikTok fetched the video through the ticket the claim saved").toBeDefined();
    expect(after.preparedPrivacyLevel).toBeUndefined();
    expect(s.copies(caption)).toBe(1);
  });

  it("TikTok with a media ticket: 5 DynamoDB writes per published post (issue 4's budget: ≤ 6)", async ({ expect }) => {
    const tt = await s.connect(key, "tiktok");
    const caption = `writes tt ${tag}`;
    const created = await s.api<{ id: string }>(
      "POST",
      "/v1/posts",
      { accountId: tt.id, caption, media: [s.media("video.mp4")] },
      key,
    );
    const id = created.body.id;
    // Every write naming this post from its scheduling on, in this process (API, worker, media pull).
    const writes: string[] = [];
    const name = `count-writes-${id}`;
    dynamo().middlewareStack.add(
      (next, context) => async (args) => {
        const command = String(context.commandName ?? "");
        if (/^(Put|Update|Delete|TransactWrite|BatchWrite)/.test(command)) {
          const input = args.input as { ExpressionAttributeNames?: Record<string, string> };
          if (JSON.stringify(input).toLowerCase().includes(id.toLowerCase())) {
            const names = Object.values(input.ExpressionAttributeNames ?? {});
            // The connected tests' lease is 3 s, so every wait renews it (a write that names no
            // step); production's 2-min lease outlasts the first polls: not counted here.
            const leaseOnly = !names.some((n) =>
              ["step", "pulledTicket", "enqueuedVersion", "publishedAt", "scheduledFor"].includes(n),
            );
            const shown = [
              "scheduledFor",
              "enqueuedVersion",
              "finalCallAt",
              "pulledTicket",
              "publishId",
              "publishedAt",
            ];
            if (!leaseOnly) writes.push(`${command} ${names.filter((n) => shown.includes(n)).join(",")}`);
          }
        }
        return next(args);
      },
      { step: "initialize", name },
    );
    try {
      const at = new Date(Date.now() + AHEAD).toISOString();
      const scheduled = await s.api("POST", `/v1/posts/${id}/schedule`, { scheduledFor: at }, key);
      expect(scheduled.status).toBe(200);
      const scheduleWrites = writes.length; // the schedule transition and enqueuedVersion (API)
      const done = await s.waitFinal(key, id, 40_000);
      expect(done.status).toBe("published");
      const after = await item(id);
      expect(after.enqueuedVersion).toBeDefined();
      expect(after.pulledTicket, "TikTok fetched the video through the media ticket").toBeDefined();
      // The publishing itself: claim + final call, the ticket's fetch, publish id, complete —
      // plus enqueuedVersion, written while scheduling: 5.
      const publishing = writes.slice(scheduleWrites);
      expect(publishing, JSON.stringify(writes)).toHaveLength(4);
      expect(scheduleWrites, JSON.stringify(writes)).toBe(2);
    } finally {
      dynamo().middlewareStack.remove(name);
    }
    expect(s.copies(caption)).toBe(1);
  });

  it("TikTok: a failed preparation still sends the publish message: published at its time, once", async ({
    expect,
  }) => {
    const tt = await s.connect(key, "tiktok");
    s.sims.control.addFault({
      operation: "tiktok.creator_info",
      type: "server_error",
      accountId: tt.externalAccountId,
      times: 1,
    });
    const caption = `prepare failed tt ${tag}`;
    const post = await s.schedule(key, tt.id, { caption, media: [s.media("video.mp4")], inMs: AHEAD });
    const due = Date.parse(post.scheduledFor as string);
    const done = await s.waitFinal(key, post.id, 40_000);
    expect(done.status).toBe("published");
    expect(done.attempts).toBe(1);
    expect(Date.parse(done.publishedAt as string)).toBeGreaterThanOrEqual(due);
    const infos = calls("tiktok.creator_info", tt.externalAccountId);
    expect(infos, "the preparation's read failed; the attempt read it again at its time").toHaveLength(2);
    expect(infos[0]?.fault).toBeDefined();
    expect(infos[0]?.at as number).toBeLessThan(due);
    expect(infos[1]?.at as number).toBeGreaterThanOrEqual(due);
    expect(s.copies(caption)).toBe(1);
  });

  it("TikTok: a caption edit after the preparation sent its publish message → only the new caption goes out, once", async ({
    expect,
  }) => {
    const tt = await s.connect(key, "tiktok");
    const post = await s.schedule(key, tt.id, {
      caption: `tt before edit ${tag}`,
      media: [s.media("video.mp4")],
      inMs: AHEAD,
    });
    const until = Date.now() + AHEAD + 20_000;
    while (!calls("tiktok.creator_info", tt.externalAccountId).length) {
      if (Date.now() > until) throw new Error("creator_info was never read ahead");
      await new Promise((r) => setTimeout(r, 100));
    }
    const current = await item(post.id);
    const edit = await s.api(
      "PATCH",
      `/v1/posts/${post.id}`,
      { caption: `tt after edit ${tag}`, version: current.version },
      key,
    );
    expect(edit.status).toBe(200);
    const done = await s.waitFinal(key, post.id, 40_000);
    expect(done.status).toBe("published");
    expect(s.copies(`tt after edit ${tag}`)).toBe(1);
    expect(s.copies(`tt before edit ${tag}`)).toBe(0);
    expect(calls("tiktok.init", tt.externalAccountId)).toHaveLength(1);
  });

  it("TikTok: the account's breaker opens after the preparation → the final call the claim recorded is cleared, the post held back (cancellable), nothing sent", async ({
    expect,
  }) => {
    const tt = await s.connect(key, "tiktok");
    const caption = `prepared then breaker ${tag}`;
    const post = await s.schedule(key, tt.id, { caption, media: [s.media("video.mp4")], inMs: AHEAD });
    const until = Date.now() + AHEAD + 20_000;
    while (!calls("tiktok.creator_info", tt.externalAccountId).length) {
      if (Date.now() > until) throw new Error("creator_info was never read ahead");
      await new Promise((r) => setTimeout(r, 100));
    }
    // Throttled by another path meanwhile: the breaker is open past the post's time (a minute).
    const breakerUntil = new Date(Date.parse(post.scheduledFor as string) + 60_000).toISOString();
    await db().entities.account.patch({ id: tt.id }).set({ breakerUntil }).go();
    const held = await s.waitFor(key, post.id, (p) => p.status === "scheduled" && !!p.heldUntil, 40_000);
    expect(held.heldUntil).toBe(breakerUntil);
    const after = await item(post.id);
    expect(after.finalCallAt, "nothing was sent: the claim's record of the final call is cleared").toBeUndefined();
    expect(calls("tiktok.init", tt.externalAccountId)).toHaveLength(0);
    const cancelled = await s.api("POST", `/v1/posts/${post.id}/cancel`, {}, key);
    expect(cancelled).toMatchObject({ status: 200, body: { status: "cancelled" } });
    expect(s.copies(caption)).toBe(0);
  });

  it("a publish message arriving early is sent back with the rest of its delay: published at its time, once", async ({
    expect,
  }) => {
    const fb = await s.connect(key, "facebook");
    const caption = `early message ${tag}`;
    const post = await s.schedule(key, fb.id, { caption, media: [], inMs: AHEAD });
    const due = Date.parse(post.scheduledFor as string);
    // A copy of its publish message with no delay at all (a replay, a clock skew): it arrives
    // many seconds early, is sent back, and the post still goes out at its time, once.
    await sendMessages("publish", [{ body: { kind: "publish", postId: post.id, version: post.version } }]);
    const done = await s.waitFinal(key, post.id, 40_000);
    expect(done.status).toBe("published");
    expect(Date.parse(done.publishedAt as string)).toBeGreaterThanOrEqual(due);
    const after = await item(post.id);
    expect(
      Date.parse(after.claimedAt as string),
      "claimed at its time, not when the early copy came",
    ).toBeGreaterThanOrEqual(due);
    expect(done.attempts).toBe(1);
    expect(s.copies(caption)).toBe(1);
  });
});
