import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { db } from "@studio/core/db/service";
import * as Post from "@studio/core/post/post";
import { sqs } from "@studio/core/queue/sqs";
import { shardOf } from "@studio/core/util/shard";
import { connectedEnv } from "@studio/local/testing/connected";
import { beforeAll, describe, expect, it } from "vitest";
import { call, DAY, fromNow, HOUR, image, newAccount, newKey, newWorkspace, video } from "./testing/client";

/** `date` written with a fixed UTC offset, e.g. "+05:30", milliseconds kept. */
function withOffset(date: Date, offsetMinutes: number): string {
  const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

describe("posts (connected)", () => {
  let key: string;
  let workspaceId: string;
  let other: string;
  let ig: string;
  let tiktok: string;
  let fb: string;
  let otherAccount: string;

  beforeAll(async () => {
    await connectedEnv();
    ({ ownerKey: key, workspaceId } = await newWorkspace("Main", "Europe/Paris"));
    key = await newKey(key, "editor");
    ({ ownerKey: other } = await newWorkspace("Other"));
    ig = await newAccount(key, { platform: "instagram" });
    tiktok = await newAccount(key, { platform: "tiktok" });
    fb = await newAccount(key, { platform: "facebook" });
    otherAccount = await newAccount(other);
  });

  const draft = async (over: Record<string, unknown> = {}, token = key) => {
    const res = await call("POST", "/v1/posts", {
      token,
      body: { accountId: ig, caption: "Hello", media: image, ...over },
    });
    if (res.status !== 201) throw new Error(`${res.status} ${res.text}`);
    return res.body;
  };
  const schedule = (id: string, scheduledFor: string, token = key) =>
    call("POST", `/v1/posts/${id}/schedule`, { token, body: { scheduledFor } });
  const move = (id: string, scheduledFor: string) =>
    call("POST", `/v1/posts/${id}/move`, { token: key, body: { scheduledFor } });
  const cancel = (id: string) => call("POST", `/v1/posts/${id}/cancel`, { token: key });
  const stored = async (id: string) => (await db().entities.post.get({ id }).go()).data;

  describe("creating", () => {
    it("creates a draft with the documented shape and no internal fields", async () => {
      const res = await call("POST", "/v1/posts", { token: key, body: { accountId: ig, caption: "Hi", media: image } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        accountId: ig,
        platform: "instagram",
        caption: "Hi",
        media: image,
        status: "draft",
        scheduledFor: null,
        attempts: 0,
        externalPostId: null,
        publishedAt: null,
        lastError: null,
        warnings: [],
      });
      for (const internal of ["workspaceId", "dueShard", "dueAt", "leaseUntil", "attemptId", "calendarAt", "gsi1pk"]) {
        expect(res.body).not.toHaveProperty(internal);
      }
    });

    it("names each missing or malformed field", async () => {
      const res = await call("POST", "/v1/posts", {
        token: key,
        body: { accountId: ig, media: [{ url: "not a url", type: "gif" }], scheduledFor: "next tuesday" },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
      const paths = res.body.error.details.map((d: { path: string }) => d.path).sort();
      expect(paths).toEqual(["caption", "media.0.type", "media.0.url", "scheduledFor"].sort());
      for (const d of res.body.error.details) expect(typeof d.message).toBe("string");
    });

    it("answers malformed JSON and a missing body with 400 validation_failed", async () => {
      const bad = await call("POST", "/v1/posts", { token: key, rawBody: '{"accountId": "x", "caption": ' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe("validation_failed");
      expect(bad.text).not.toMatch(/at .*\.ts:\d+/);
      const none = await call("POST", "/v1/posts", { token: key });
      expect(none.status).toBe(400);
      expect(none.body.error.code).toBe("validation_failed");
      const schedNone = await call("POST", "/v1/posts/post_x/schedule", { token: key, rawBody: "nope" });
      expect(schedNone.status).toBe(400);
    });

    it("applies each platform's media rules", async () => {
      const cases: [string, unknown[], number][] = [
        [ig, [], 400],
        [ig, [...image, ...image], 400],
        [ig, video, 201],
        [tiktok, image, 400],
        [tiktok, video, 201],
        [fb, [], 201],
        [fb, [...image, ...video], 400],
      ];
      for (const [accountId, media, status] of cases) {
        const res = await call("POST", "/v1/posts", { token: key, body: { accountId, caption: "x", media } });
        expect(res.status, `${accountId} ${JSON.stringify(media)}`).toBe(status);
        if (status === 400) expect(res.body.error.code).toBe("post.media_invalid");
      }
    });

    it("rejects captions over the platform limit, never truncating", async () => {
      const long = await call("POST", "/v1/posts", {
        token: key,
        body: { accountId: ig, caption: "a".repeat(2_201), media: image },
      });
      expect(long.status).toBe(400);
      expect(long.body.error.code).toBe("post.caption_too_long");
      const exact = await draft({ caption: "é".repeat(2_200) });
      expect((await call("GET", `/v1/posts/${exact.id}`, { token: key })).body.caption).toBe("é".repeat(2_200));
      const fbLong = await call("POST", "/v1/posts", {
        token: key,
        body: { accountId: fb, caption: "a".repeat(5_000), media: [] },
      });
      expect(fbLong.status).toBe(201);
    });

    it("answers 404 account.not_found for an unknown account or another workspace's", async () => {
      for (const accountId of ["acct_unknown", otherAccount]) {
        const res = await call("POST", "/v1/posts", { token: key, body: { accountId, caption: "x", media: image } });
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe("account.not_found");
      }
    });
  });

  describe("another workspace's post", () => {
    it("is 404 post.not_found for every route, like an unknown one", async () => {
      const mine = await draft();
      const answers = await Promise.all([
        call("GET", `/v1/posts/${mine.id}`, { token: other }),
        schedule(mine.id, fromNow(HOUR), other),
        call("POST", `/v1/posts/${mine.id}/move`, { token: other, body: { scheduledFor: fromNow(HOUR) } }),
        call("POST", `/v1/posts/${mine.id}/cancel`, { token: other }),
        call("GET", "/v1/posts/post_unknown", { token: other }),
      ]);
      for (const res of answers) {
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe("post.not_found");
      }
      expect((await stored(mine.id))?.status).toBe("draft");
      const list = await call("GET", `/v1/posts?accountId=${ig}`, { token: other });
      expect(list.body.items).toEqual([]);
    });
  });

  describe("scheduling", () => {
    it("schedules with the due keys and a version bump, and stores UTC to the millisecond", async () => {
      const post = await draft();
      const at = new Date(Date.now() + 5 * HOUR);
      at.setUTCMilliseconds(123);
      const res = await schedule(post.id, withOffset(at, 330));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: "scheduled", scheduledFor: at.toISOString(), version: 2, warnings: [] });
      const item = await stored(post.id);
      expect(item).toMatchObject({
        status: "scheduled",
        version: 2,
        calendarAt: at.toISOString(),
        dueShard: shardOf(post.id),
        dueAt: `${at.toISOString()}#${post.id}`,
      });
      const back = await call("GET", `/v1/posts/${post.id}`, { token: key });
      expect(back.body.scheduledFor).toBe(at.toISOString());
    });

    it("rejects past and too-far dates and non-dates", async () => {
      const post = await draft();
      const past = await schedule(post.id, fromNow(-60_000));
      expect(past.status).toBe(400);
      expect(past.body.error.code).toBe("post.schedule_in_past");
      const far = await schedule(post.id, fromNow(93 * DAY));
      expect(far.status).toBe(400);
      expect(far.body.error.code).toBe("post.schedule_too_far");
      const notDate = await schedule(post.id, "2026-13-45");
      expect(notDate.status).toBe(400);
      expect(notDate.body.error).toMatchObject({ code: "validation_failed", details: [{ path: "scheduledFor" }] });
      const noOffset = await schedule(post.id, "2027-01-10T10:00:00");
      expect(noOffset.status).toBe(400);
      expect((await stored(post.id))?.status).toBe("draft");
      const created = await call("POST", "/v1/posts", {
        token: key,
        body: { accountId: ig, caption: "x", media: image, scheduledFor: fromNow(-HOUR) },
      });
      expect(created.body.error.code).toBe("post.schedule_in_past");
    });

    it("warns, without refusing, when the account has another post within 10 minutes", async () => {
      const acct = await newAccount(key, { platform: "facebook" });
      const base = Date.now() + 2 * DAY;
      const first = await draft({ accountId: acct, media: [] });
      expect((await schedule(first.id, new Date(base).toISOString())).body.warnings).toEqual([]);
      const cancelled = await draft({ accountId: acct, media: [] });
      await schedule(cancelled.id, new Date(base + 60_000).toISOString());
      await cancel(cancelled.id);
      const far = await draft({ accountId: acct, media: [] });
      // 11 minutes from `first`, 10 from the cancelled one (ignored): no warning.
      expect((await schedule(far.id, new Date(base + 11 * 60_000).toISOString())).body.warnings).toEqual([]);

      const second = await draft({ accountId: acct, media: [] });
      const res = await schedule(second.id, new Date(base + 10 * 60_000).toISOString());
      expect(res.status).toBe(200);
      expect(res.body.status).toBe("scheduled");
      const ids = res.body.warnings.map((w: { postId: string }) => w.postId).sort();
      expect(ids).toEqual([first.id, far.id].sort());
      expect(res.body.warnings).toContainEqual(
        expect.objectContaining({
          code: "post.nearby_post",
          postId: first.id,
          scheduledFor: new Date(base).toISOString(),
        }),
      );
      // Another account's post at the same minute is not "nearby".
      const otherAcct = await draft({ accountId: fb, media: [] });
      expect((await schedule(otherAcct.id, new Date(base).toISOString())).body.warnings).toEqual([]);
    });

    it("answers 409 account.needs_reconnect when the account must be reconnected", async () => {
      const acct = await newAccount(key, { platform: "instagram" });
      const post = await draft({ accountId: acct });
      await db().entities.account.patch({ id: acct }).set({ status: "needs_reconnect" }).go();
      const res = await schedule(post.id, fromNow(HOUR));
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe("account.needs_reconnect");
      expect((await stored(post.id))?.status).toBe("draft");
    });

    it("reschedules a failed post as a fresh publication", async () => {
      const post = await draft();
      await db()
        .entities.post.patch({ id: post.id })
        .set({
          status: "failed",
          version: 5,
          attempts: 2,
          retries: 3,
          lastError: { code: "post.media_invalid", message: "bad" },
          containerId: "c1",
          step: "failed",
        })
        .go();
      const res = await schedule(post.id, fromNow(3 * HOUR));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: "scheduled", version: 6, lastError: null, attempts: 2 });
      const item = await stored(post.id);
      expect(item).not.toHaveProperty("containerId");
      expect(item).not.toHaveProperty("retries");
      expect(item).not.toHaveProperty("step");
    });

    it("refuses to schedule a post that is publishing, published or unconfirmed", async () => {
      for (const status of ["publishing", "published", "unconfirmed", "scheduled"] as const) {
        const post = await draft();
        await db().entities.post.patch({ id: post.id }).set({ status }).go();
        const res = await schedule(post.id, fromNow(HOUR));
        expect(res.status, status).toBe(409);
        expect(res.body.error.code).toBe("post.state_conflict");
      }
    });

    it("enqueues a post that falls due before the dispatcher's next run, with its delay", async () => {
      const post = await draft();
      const res = await schedule(post.id, fromNow(20_000));
      expect(res.status).toBe(200);
      const item = await stored(post.id);
      expect(item?.enqueuedVersion).toBe(res.body.version);
      // The message is delayed (~20 s): not receivable yet.
      const now = await sqs().send(
        new ReceiveMessageCommand({ QueueUrl: process.env.STUDIO_QUEUE_URL_PUBLISH, WaitTimeSeconds: 0 }),
      );
      expect(now.Messages ?? []).toEqual([]);
      const later = await draft();
      await schedule(later.id, fromNow(2 * HOUR));
      expect((await stored(later.id))?.enqueuedVersion).toBeUndefined();
    });
  });

  describe("moving and cancelling", () => {
    it("moves a scheduled post (due key follows) and a draft (stays a draft)", async () => {
      const post = await draft();
      await schedule(post.id, fromNow(HOUR));
      const to = fromNow(4 * HOUR);
      const res = await move(post.id, to);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: "scheduled", scheduledFor: to, version: 3 });
      expect((await stored(post.id))?.dueAt).toBe(`${to}#${post.id}`);

      const d = await draft();
      const moved = await move(d.id, to);
      expect(moved.body).toMatchObject({ status: "draft", scheduledFor: to, version: 2 });
      expect(await stored(d.id)).not.toHaveProperty("dueAt");
      expect((await move(d.id, fromNow(-HOUR))).body.error.code).toBe("post.schedule_in_past");
    });

    it("cancels, leaving the due index; then move and cancel conflict", async () => {
      const post = await draft();
      await schedule(post.id, fromNow(HOUR));
      const res = await cancel(post.id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: "cancelled", version: 3 });
      const item = await stored(post.id);
      expect(item).not.toHaveProperty("dueAt");
      expect(item).not.toHaveProperty("dueShard");
      for (const res2 of [await cancel(post.id), await move(post.id, fromNow(2 * HOUR))]) {
        expect(res2.status).toBe(409);
        expect(res2.body.error.code).toBe("post.state_conflict");
      }
      // A cancelled post may be scheduled again.
      expect((await schedule(post.id, fromNow(2 * HOUR))).body.status).toBe("scheduled");
    });

    it("answers 409 once publishing has started or the post is final", async () => {
      for (const status of ["publishing", "published", "failed", "unconfirmed"] as const) {
        const post = await draft();
        await db().entities.post.patch({ id: post.id }).set({ status }).go();
        for (const res of [await move(post.id, fromNow(HOUR)), await cancel(post.id)]) {
          expect(res.status, status).toBe(409);
          expect(res.body.error).toMatchObject({ code: "post.state_conflict", details: { status } });
        }
      }
    });

    it("lets exactly one of concurrent transitions win; the others get 409", async () => {
      const post = await draft();
      await schedule(post.id, fromNow(HOUR));
      const answers = await Promise.all([
        cancel(post.id),
        cancel(post.id),
        cancel(post.id),
        move(post.id, fromNow(2 * HOUR)),
      ]);
      const ok = answers.filter((r) => r.status === 200);
      expect(ok.length).toBe(1);
      for (const r of answers.filter((x) => x.status !== 200)) {
        expect(r.status).toBe(409);
        expect(r.body.error.code).toBe("post.state_conflict");
      }
      expect((await stored(post.id))?.version).toBe(3);
    });

    it("loses a race against a write made after its read: 409, nothing overwritten", async () => {
      const post = await draft();
      await schedule(post.id, fromNow(HOUR));
      // A worker claims the post between the API's read and its write: simulated by bumping the
      // version and status right after the read (the read happens inside Post.cancel).
      const original = db().entities.post.get.bind(db().entities.post);
      let raced = false;
      // biome-ignore lint/suspicious/noExplicitAny: test seam on the entity
      (db().entities.post as any).get = (key: { id: string }) => {
        const q = original(key);
        return {
          go: async (opts?: object) => {
            const r = await q.go(opts as never);
            if (!raced && key.id === post.id) {
              raced = true;
              await db()
                .entities.post.patch({ id: post.id })
                .set({ status: "publishing", version: 3 })
                .remove(["dueAt", "dueShard"])
                .go();
            }
            return r;
          },
        };
      };
      try {
        await expect(Post.cancel(workspaceId, post.id)).rejects.toMatchObject({
          code: "post.state_conflict",
          details: { status: "publishing", version: 3 },
        });
      } finally {
        // biome-ignore lint/suspicious/noExplicitAny: restore
        (db().entities.post as any).get = original;
      }
      expect((await stored(post.id))?.status).toBe("publishing");
    });
  });

  describe("listing", () => {
    it("pages through posts sorted by scheduledFor, with from inclusive and to exclusive", async () => {
      const { ownerKey } = await newWorkspace("Calendar", "America/New_York");
      const acct = await newAccount(ownerKey, { platform: "facebook" });
      const base = Date.now() + 3 * DAY;
      const times = [5, 1, 3, 0, 4, 2].map((h) => new Date(base + h * HOUR).toISOString());
      const ids: Record<string, string> = {};
      for (const t of times) {
        const p = await call("POST", "/v1/posts", {
          token: ownerKey,
          body: { accountId: acct, caption: t, media: [] },
        });
        await call("POST", `/v1/posts/${p.body.id}/schedule`, { token: ownerKey, body: { scheduledFor: t } });
        ids[t] = p.body.id;
      }
      const unscheduled = await call("POST", "/v1/posts", {
        token: ownerKey,
        body: { accountId: acct, caption: "later", media: [] },
      });
      const sorted = [...times].sort();

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = `/v1/posts?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const res = await call("GET", q, { token: ownerKey });
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items.map((p: { id: string }) => p.id));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual([...sorted.map((t) => ids[t]), unscheduled.body.id]);

      const from = sorted[1] as string;
      const to = sorted[4] as string;
      const ranged = await call("GET", `/v1/posts?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, {
        token: ownerKey,
      });
      expect(ranged.body.items.map((p: { scheduledFor: string }) => p.scheduledFor)).toEqual(sorted.slice(1, 4));

      // The same range written with an offset means the same instants.
      const fromOffset = withOffset(new Date(from), -300);
      const same = await call("GET", `/v1/posts?from=${encodeURIComponent(fromOffset)}&to=${encodeURIComponent(to)}`, {
        token: ownerKey,
      });
      expect(same.body.items).toEqual(ranged.body.items);

      const onlyFrom = await call("GET", `/v1/posts?from=${encodeURIComponent(sorted[4] as string)}`, {
        token: ownerKey,
      });
      expect(onlyFrom.body.items.map((p: { scheduledFor: string }) => p.scheduledFor)).toEqual(sorted.slice(4));
    });

    it("filters by status and account, and validates the query", async () => {
      const { ownerKey } = await newWorkspace("Filters");
      const a1 = await newAccount(ownerKey, { platform: "facebook" });
      const a2 = await newAccount(ownerKey, { platform: "facebook" });
      const mk = async (accountId: string) =>
        (await call("POST", "/v1/posts", { token: ownerKey, body: { accountId, caption: "x", media: [] } })).body.id;
      const p1 = await mk(a1);
      const p2 = await mk(a1);
      const p3 = await mk(a2);
      await call("POST", `/v1/posts/${p2}/schedule`, { token: ownerKey, body: { scheduledFor: fromNow(DAY) } });
      await call("POST", `/v1/posts/${p3}/schedule`, { token: ownerKey, body: { scheduledFor: fromNow(2 * DAY) } });

      const scheduled = await call("GET", "/v1/posts?status=scheduled", { token: ownerKey });
      expect(scheduled.body.items.map((p: { id: string }) => p.id)).toEqual([p2, p3]);
      const byAccount = await call("GET", `/v1/posts?accountId=${a1}`, { token: ownerKey });
      expect(byAccount.body.items.map((p: { id: string }) => p.id)).toEqual([p2, p1]);
      const both = await call("GET", `/v1/posts?accountId=${a1}&status=draft`, { token: ownerKey });
      expect(both.body.items.map((p: { id: string }) => p.id)).toEqual([p1]);

      for (const q of ["limit=0", "limit=201", "status=lost", "from=yesterday", "cursor=%%%bad"]) {
        const res = await call("GET", `/v1/posts?${q}`, { token: ownerKey });
        expect(res.status, q).toBe(400);
        expect(res.body.error.code).toBe("validation_failed");
      }
      const forged = Buffer.from(JSON.stringify({ nope: 1 })).toString("base64url");
      expect((await call("GET", `/v1/posts?cursor=${forged}`, { token: ownerKey })).status).toBe(400);
      expect((await call("GET", "/v1/posts?limit=200", { token: ownerKey })).status).toBe(200);
    });
  });

  it("keeps instants across a DST change exact and ordered (Europe/Paris, spring forward)", async () => {
    // 2027-03-28 in Paris: 02:00 CET → 03:00 CEST. Both local times are one real hour apart.
    const now = Date.parse("2027-03-01T00:00:00Z");
    const before = await Post.create(workspaceId, { accountId: fb, caption: "before", media: [] }, now);
    const after = await Post.create(workspaceId, { accountId: fb, caption: "after", media: [] }, now);
    const a = await Post.schedule(workspaceId, before.post.id, "2027-03-28T01:30:00.250+01:00", now);
    const b = await Post.schedule(workspaceId, after.post.id, "2027-03-28T03:30:00.250+02:00", now);
    expect(a.post.scheduledFor).toBe("2027-03-28T00:30:00.250Z");
    expect(b.post.scheduledFor).toBe("2027-03-28T01:30:00.250Z");
    const list = await Post.list(workspaceId, {
      accountId: fb,
      from: "2027-03-28T00:00:00+01:00",
      to: "2027-03-29T00:00:00+02:00",
    });
    expect(list.items.map((p) => p.id)).toEqual([before.post.id, after.post.id]);
  });
});
