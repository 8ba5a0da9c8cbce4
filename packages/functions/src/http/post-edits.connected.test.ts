import { applyCaptionPatch } from "@studio/core/caption-edit/patch";
import { EDIT_CLOCK_MARGIN_MS, editsCloseBeforeDueMs } from "@studio/core/config/edits";
import { publishTiming } from "@studio/core/config/publishing";
import { db } from "@studio/core/db/service";
import { editPost, TEXT_BUDGET_BYTES } from "@studio/core/post/edit";
import { shardOf } from "@studio/core/util/shard";
import { connectedEnv } from "@studio/local/testing/connected";
import { beforeAll, describe, expect, it } from "vitest";
import { call, DAY, fromNow, HOUR, image, newAccount, newKey, newWorkspace } from "./testing/client";

describe("post edits, caption history and deletion (connected)", () => {
  let owner: string;
  let workspaceId: string;
  let key: string;
  let keyId: string;
  let viewer: string;
  let other: string;
  let ig: string;
  let fb: string;

  beforeAll(async () => {
    await connectedEnv();
    ({ ownerKey: owner, workspaceId } = await newWorkspace("Edits", "Europe/Paris"));
    const editor = await call("POST", "/v1/api-keys", { token: owner, body: { name: "editor", role: "editor" } });
    key = editor.body.apiKey;
    keyId = editor.body.id;
    viewer = await newKey(owner, "viewer");
    ({ ownerKey: other } = await newWorkspace("Other"));
    ig = await newAccount(key, { platform: "instagram" });
    fb = await newAccount(key, { platform: "facebook" });
  });

  const draft = async (over: Record<string, unknown> = {}) => {
    const res = await call("POST", "/v1/posts", {
      token: key,
      body: { accountId: ig, caption: "Hello", media: image, ...over },
    });
    if (res.status !== 201) throw new Error(`${res.status} ${res.text}`);
    return res.body as { id: string; version: number; caption: string };
  };
  const edit = (id: string, body: Record<string, unknown>, token = key) =>
    call("PATCH", `/v1/posts/${id}`, { token, body });
  const edits = async (id: string) => {
    const res = await call("GET", `/v1/posts/${id}/edits`, { token: viewer });
    expect(res.status).toBe(200);
    return res.body.items as Array<Record<string, unknown>>;
  };
  const stored = async (id: string) => (await db().entities.post.get({ id }).go({ consistent: true })).data;
  /** A Facebook text post, scheduled (nothing consumes the publish queue here: it stays scheduled). */
  const scheduled = async (caption: string, at: string) => {
    const created = await call("POST", "/v1/posts", { token: key, body: { accountId: fb, caption, media: [] } });
    expect(created.status, created.text).toBe(201);
    const res = await call("POST", `/v1/posts/${created.body.id}/schedule`, { token: key, body: { scheduledFor: at } });
    expect(res.status, res.text).toBe(200);
    return res.body as { id: string; version: number; scheduledFor: string; status: string };
  };

  it("edits a draft's caption: version bumped, original kept, one record with before, after, patch, who and when", async () => {
    const post = await draft({ caption: "Hello world\n#launch" });
    expect(post).toMatchObject({ version: 1, originalCaption: "Hello world\n#launch" });
    const res = await edit(post.id, { caption: "Hello there world\n#launch", version: 1 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      caption: "Hello there world\n#launch",
      originalCaption: "Hello world\n#launch",
      version: 2,
      status: "draft",
    });
    const again = await edit(post.id, { caption: "Bye", version: 2 });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ caption: "Bye", originalCaption: "Hello world\n#launch", version: 3 });

    const history = await edits(post.id);
    expect(history).toHaveLength(2);
    expect(history[0]).toMatchObject({
      editedBy: keyId,
      before: "Hello world\n#launch",
      after: "Hello there world\n#launch",
      patchOmitted: null,
      baseVersion: 1,
    });
    expect(history[1]).toMatchObject({ before: "Hello there world\n#launch", after: "Bye", baseVersion: 2 });
    // The patch is a real one: applied to `before`, it gives `after`.
    for (const e of history) expect(applyCaptionPatch(e.before as string, e.patch as string)).toBe(e.after);
    expect(Date.parse(history[0]?.at as string)).toBeLessThanOrEqual(Date.parse(history[1]?.at as string));
  });

  it("answers a stale version with 409 post.version_conflict carrying the current post, and changes nothing", async () => {
    const post = await draft();
    expect((await edit(post.id, { caption: "First", version: 1 })).status).toBe(200);
    const stale = await edit(post.id, { caption: "Second", version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("post.version_conflict");
    expect(stale.body.error.details).toMatchObject({ id: post.id, caption: "First", version: 2, status: "draft" });
    expect((await stored(post.id))?.caption).toBe("First");
    expect(await edits(post.id)).toHaveLength(1);
  });

  it("concurrent edits of the same version: exactly one wins, the others get 409, the history shows one change", async () => {
    const post = await draft({ caption: "Base" });
    const answers = await Promise.all(
      ["A", "B", "C", "D"].map((c) => edit(post.id, { caption: `Version ${c}`, version: 1 })),
    );
    const won = answers.filter((a) => a.status === 200);
    const lost = answers.filter((a) => a.status === 409);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(3);
    for (const l of lost) {
      expect(l.body.error.code).toBe("post.version_conflict");
      expect(l.body.error.details.version).toBe(2);
    }
    const history = await edits(post.id);
    expect(history).toHaveLength(1);
    expect(history[0]?.after).toBe(won[0]?.body.caption);
    expect(await stored(post.id)).toMatchObject({ caption: won[0]?.body.caption, version: 2 });
  });

  it("edits a scheduled post without touching its time or its place in the due index", async () => {
    const post = await draft();
    const at = fromNow(2 * DAY);
    expect(
      (await call("POST", `/v1/posts/${post.id}/schedule`, { token: key, body: { scheduledFor: at } })).status,
    ).toBe(200);
    const before = await stored(post.id);
    const res = await edit(post.id, { caption: "Edited while scheduled", version: before?.version as number });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "scheduled", scheduledFor: at, caption: "Edited while scheduled" });
    const after = await stored(post.id);
    expect(after).toMatchObject({ dueShard: shardOf(post.id), dueAt: `${at}#${post.id}`, calendarAt: at });
  });

  it("refuses edits once publishing has started or the post is final (409 post.state_conflict)", async () => {
    for (const status of ["publishing", "published", "unconfirmed"] as const) {
      const post = await draft();
      await db().entities.post.patch({ id: post.id }).set({ status, version: 5 }).go();
      const res = await edit(post.id, { caption: "Too late", version: 5 });
      expect(res.status, status).toBe(409);
      expect(res.body.error.code).toBe("post.state_conflict");
      expect((await stored(post.id))?.caption).toBe("Hello");
      expect(await edits(post.id)).toHaveLength(0);
    }
  });

  it("edits failed and cancelled posts", async () => {
    const cancelled = await draft();
    const c = await call("POST", `/v1/posts/${cancelled.id}/cancel`, { token: key });
    expect((await edit(cancelled.id, { caption: "Revived", version: c.body.version })).status).toBe(200);
    const failed = await draft();
    await db().entities.post.patch({ id: failed.id }).set({ status: "failed", version: 4 }).go();
    expect((await edit(failed.id, { caption: "Fixed", version: 4 })).status).toBe(200);
  });

  it("applies creation's caption and media rules, and validates the body", async () => {
    const post = await draft();
    const long = await edit(post.id, { caption: "a".repeat(2_201), version: 1 });
    expect(long.status).toBe(400);
    expect(long.body.error.code).toBe("post.caption_too_long");
    const media = await edit(post.id, { media: [], version: 1 });
    expect(media.status).toBe(400);
    expect(media.body.error.code).toBe("post.media_invalid");
    const noVersion = await edit(post.id, { caption: "x" });
    expect(noVersion.status).toBe(400);
    expect(noVersion.body.error.details.map((d: { path: string }) => d.path)).toContain("version");
    const unknownField = await edit(post.id, { caption: "x", version: 1, Caption: "y" });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error.code).toBe("validation_failed");
    expect((await stored(post.id))?.version).toBe(1);
  });

  it("records no caption change for a media-only edit, and nothing for a no-op", async () => {
    const post = await draft();
    const res = await edit(post.id, { media: [{ url: "https://cdn.example.com/b.jpg", type: "image" }], version: 1 });
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(2);
    const same = await edit(post.id, { caption: "Hello", version: 2 });
    expect(same.status).toBe(200);
    expect(same.body.version).toBe(2);
    expect(await edits(post.id)).toHaveLength(0);
  });

  it("huge diffs: a 60,000-character caption is stored whole, without a patch (bounded)", async () => {
    const base = "All the words of a long story. ".repeat(2_000).slice(0, 60_000);
    const post = await draft({ accountId: fb, media: [], caption: base });
    const changed = `${base.slice(0, 30_000)}CHANGED${base.slice(30_007)}`;
    expect(changed).toHaveLength(60_000);
    const res = await edit(post.id, { caption: changed, version: 1 });
    expect(res.status).toBe(200);
    const [record] = await edits(post.id);
    expect(record).toMatchObject({ patch: null, patchOmitted: "too_large" });
    expect(record?.before).toBe(base);
    expect(record?.after).toBe(changed);
    expect((await stored(post.id))?.originalCaption).toBe(base);
  });

  it("pathological diffs: thousands of reordered lines give up on the patch, keep before and after", async () => {
    const lines = Array.from({ length: 6_000 }, (_, i) => `line ${i}`);
    const before = lines.join("\n");
    const after = [...lines].reverse().join("\n");
    const post = await draft({ accountId: fb, media: [], caption: before });
    const res = await edit(post.id, { caption: after, version: 1 });
    expect(res.status).toBe(200);
    const [record] = await edits(post.id);
    expect(record).toMatchObject({ patch: null, patchOmitted: "too_slow", before, after });
  });

  it("missing original: a post stored before edits existed shows its caption as the original and keeps it on edit", async () => {
    const id = `post_legacy${Math.random().toString(36).slice(2, 10)}`;
    const { data: ws } = await db()
      .entities.post.get({ id: (await draft()).id })
      .go();
    const at = new Date().toISOString();
    await db()
      .entities.post.create({
        id,
        workspaceId: ws?.workspaceId as string,
        accountId: ig,
        platform: "instagram",
        caption: "Legacy caption",
        media: image as { url: string; type: "image" }[],
        status: "draft",
        version: 3,
        calendarAt: "9999-12-31T23:59:59.999Z",
        attempts: 0,
        createdAt: at,
        updatedAt: at,
      })
      .go();
    expect((await stored(id))?.originalCaption).toBeUndefined();
    const read = await call("GET", `/v1/posts/${id}`, { token: key });
    expect(read.body.originalCaption).toBe("Legacy caption");
    expect(await edits(id)).toEqual([]);

    expect((await edit(id, { caption: "Edited once", version: 3 })).status).toBe(200);
    expect((await edit(id, { caption: "Edited twice", version: 4 })).status).toBe(200);
    expect((await stored(id))?.originalCaption).toBe("Legacy caption");
    const history = await edits(id);
    expect(history.map((e) => [e.before, e.after])).toEqual([
      ["Legacy caption", "Edited once"],
      ["Edited once", "Edited twice"],
    ]);
  });

  it("lets viewers read the history but not edit or delete; another workspace's post is 404", async () => {
    const post = await draft();
    expect((await edit(post.id, { caption: "x", version: 1 }, viewer)).status).toBe(403);
    expect((await call("DELETE", `/v1/posts/${post.id}`, { token: viewer })).status).toBe(403);
    for (const res of [
      await edit(post.id, { caption: "x", version: 1 }, other),
      await call("GET", `/v1/posts/${post.id}/edits`, { token: other }),
      await call("DELETE", `/v1/posts/${post.id}`, { token: other }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("post.not_found");
    }
    expect((await stored(post.id))?.caption).toBe("Hello");
  });

  describe("deleting", () => {
    it("deletes a draft, cancelled or failed post (204) with its history; a second delete is 404", async () => {
      const post = await draft();
      await edit(post.id, { caption: "Edited", version: 1 });
      const res = await call("DELETE", `/v1/posts/${post.id}`, { token: key });
      expect(res.status).toBe(204);
      expect(res.text).toBe("");
      expect((await call("GET", `/v1/posts/${post.id}`, { token: key })).status).toBe(404);
      expect(await stored(post.id)).toBeNull();
      expect((await db().entities.captionEdit.query.byPost({ postId: post.id }).go()).data).toEqual([]);
      expect((await call("DELETE", `/v1/posts/${post.id}`, { token: key })).status).toBe(404);

      const cancelled = await draft();
      await call("POST", `/v1/posts/${cancelled.id}/cancel`, { token: key });
      expect((await call("DELETE", `/v1/posts/${cancelled.id}`, { token: key })).status).toBe(204);
      const failed = await draft();
      await db().entities.post.patch({ id: failed.id }).set({ status: "failed" }).go();
      expect((await call("DELETE", `/v1/posts/${failed.id}`, { token: key })).status).toBe(204);
    });

    it("refuses to delete a scheduled, publishing or published post (409 post.state_conflict)", async () => {
      const scheduled = await draft();
      await call("POST", `/v1/posts/${scheduled.id}/schedule`, { token: key, body: { scheduledFor: fromNow(HOUR) } });
      const res = await call("DELETE", `/v1/posts/${scheduled.id}`, { token: key });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe("post.state_conflict");
      for (const status of ["publishing", "published"] as const) {
        const post = await draft();
        await db().entities.post.patch({ id: post.id }).set({ status }).go();
        expect((await call("DELETE", `/v1/posts/${post.id}`, { token: key })).status).toBe(409);
        expect(await stored(post.id)).not.toBeNull();
      }
    });

    it("a post deleted while a client drags it: the move is 404 and nothing is created", async () => {
      const post = await draft({ scheduledFor: fromNow(DAY) });
      expect((await call("DELETE", `/v1/posts/${post.id}`, { token: key })).status).toBe(204);
      const moved = await call("POST", `/v1/posts/${post.id}/move`, {
        token: key,
        body: { scheduledFor: fromNow(2 * DAY) },
      });
      expect(moved.status).toBe(404);
      expect(moved.body.error.code).toBe("post.not_found");
      expect(await stored(post.id)).toBeNull();

      // The race itself: drags and deletes of the same posts at the same moment. Whatever the
      // order, a move answers 200 (before the delete) or 404 (after), the delete wins, and no
      // item is ever re-created by the move's write.
      const posts = await Promise.all(Array.from({ length: 8 }, () => draft({ scheduledFor: fromNow(DAY) })));
      const answers = await Promise.all(
        posts.map((p, i) =>
          Promise.all([
            call("POST", `/v1/posts/${p.id}/move`, { token: key, body: { scheduledFor: fromNow(DAY + i * HOUR) } }),
            call("DELETE", `/v1/posts/${p.id}`, { token: key }),
          ]),
        ),
      );
      for (const [move, del] of answers) {
        expect([200, 404]).toContain(move.status);
        expect(del.status).toBe(204);
      }
      for (const p of posts) expect(await stored(p.id)).toBeNull();
    });
  });

  it("post.edit_too_large: texts over the item's budget are refused with a clear 400, nothing stored", async () => {
    // Facebook allows 63,206 characters; in 4-byte characters the new caption and the original
    // the post keeps forever together pass the 350,000-byte text budget of one item.
    const big = (c: string) => c.repeat(50_000); // 50,000 characters, 200,000 UTF-8 bytes
    const res = await call("POST", "/v1/posts", { token: key, body: { accountId: fb, caption: big("😀"), media: [] } });
    expect(res.status, res.text).toBe(201);
    const post = res.body as { id: string; version: number };
    const tooLarge = await edit(post.id, { caption: big("🚀"), version: post.version });
    expect(tooLarge.status).toBe(400);
    expect(tooLarge.body.error).toMatchObject({
      code: "post.edit_too_large",
      details: { bytes: 400_000, limit: TEXT_BUDGET_BYTES },
    });
    expect(tooLarge.body.error.message).toMatch(/Shorten the caption/);
    // Nothing changed: same caption, same version, no record.
    const kept = await stored(post.id);
    expect(kept?.version).toBe(post.version);
    expect([...(kept?.caption ?? "")][0]).toBe("😀");
    expect(await edits(post.id)).toEqual([]);
    // A caption that fits the budget with the original goes through.
    const ok = await edit(post.id, { caption: "🚀".repeat(30_000), version: post.version });
    expect(ok.status, ok.text).toBe(200);
  });

  it("edits close before the post's time (the publish pipeline's lead + a margin), exactly at the boundary, on a controlled clock", async () => {
    const post = await scheduled("Window", fromNow(2 * HOUR));
    const cutoff = editsCloseBeforeDueMs();
    // No edit while a worker may hold the post's publish message (it arrives up to waitEarlyMaxMs early).
    expect(cutoff).toBe(publishTiming().delivery.waitEarlyMaxMs + EDIT_CLOCK_MARGIN_MS);
    const closesAt = Date.parse(post.scheduledFor) - cutoff;
    // 1 ms before the window closes: accepted.
    const edited = await editPost(
      workspaceId,
      post.id,
      { caption: "Window 2", version: post.version },
      "key",
      closesAt - 1,
    );
    expect(edited).toMatchObject({ caption: "Window 2", version: post.version + 1, status: "scheduled" });
    // At the boundary and after: 409 post.state_conflict saying until when it was editable; nothing stored.
    for (const at of [closesAt, closesAt + 60_000]) {
      const refused = editPost(workspaceId, post.id, { caption: "Too late", version: edited.version }, "key", at);
      await expect(refused).rejects.toMatchObject({
        code: "post.state_conflict",
        details: { status: "scheduled", editableUntil: new Date(closesAt).toISOString() },
      });
    }
    expect((await stored(post.id))?.caption).toBe("Window 2");
    expect(await edits(post.id)).toHaveLength(1);
  });

  it("over HTTP, a post due within its edit window is 409 post.state_conflict (the later, the surer: no race)", async () => {
    // Due in 3 s, inside the 4.5 s window as soon as it is scheduled: however slow this machine,
    // the edit comes later still, so the answer cannot change.
    expect(editsCloseBeforeDueMs()).toBeGreaterThan(3_000);
    const post = await scheduled("Soon", fromNow(3_000));
    const refused = await edit(post.id, { caption: "Changed", version: post.version });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("post.state_conflict");
    expect(refused.body.error.message).toMatch(/edits close/);
    expect((await stored(post.id))?.caption).toBe("Soon");
  });
});
