import { connectedEnv } from "@studio/local/testing/connected";
import { beforeAll, describe, expect, it } from "vitest";
import { nowIso } from "../util/time";
import { db } from "./service";

describe("single table (connected)", () => {
  beforeAll(async () => {
    await connectedEnv();
  });

  it("keeps a post in the due index only while scheduled", async () => {
    const now = nowIso();
    const post = db().entities.post;
    await post
      .create({
        id: "p1",
        workspaceId: "w1",
        accountId: "a1",
        platform: "instagram",
        caption: "hello",
        media: [],
        status: "scheduled",
        version: 1,
        scheduledFor: now,
        calendarAt: now,
        dueShard: 3,
        dueAt: `${now}#p1`,
        createdAt: now,
        updatedAt: now,
      })
      .go();
    expect((await post.query.due({ dueShard: 3 }).go()).data.map((p) => p.id)).toEqual(["p1"]);

    await post
      .patch({ id: "p1" })
      .set({ status: "publishing", version: 2, leaseShard: 3, leaseUntil: now })
      .remove(["dueAt", "dueShard"])
      .where((a, op) => `${op.eq(a.version, 1)}`)
      .go();
    expect((await post.query.due({ dueShard: 3 }).go()).data).toEqual([]);
    expect((await post.query.lease({ leaseShard: 3 }).go()).data.map((p) => p.id)).toEqual(["p1"]);
  });
});
