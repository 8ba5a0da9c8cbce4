import { describe, expect, it } from "vitest";
import { publishMessages } from "./publish-enqueue";

const at = 1_800_000_000_000;

describe("publishMessages", () => {
  it("sends the publish message to arrive 1–2 s before the post's time (whole-second delays)", () => {
    const [m] = publishMessages({ id: "p1", version: 3, platform: "facebook" }, at + 40_300, at);
    expect(m).toEqual({ body: { kind: "publish", postId: "p1", version: 3 }, delaySeconds: 39 });
  });

  it("adds a prepare message 15 s ahead on Instagram and TikTok, never on Facebook by default", () => {
    const ig = publishMessages({ id: "p2", version: 1, platform: "instagram" }, at + 40_300, at);
    expect(ig).toEqual([
      { body: { kind: "prepare", postId: "p2", version: 1 }, delaySeconds: 25 },
      { body: { kind: "publish", postId: "p2", version: 1 }, delaySeconds: 39 },
    ]);
    // TikTok's preparation travels in the publish message: the prepare message sends it (no write).
    expect(publishMessages({ id: "p3", version: 1, platform: "tiktok" }, at + 40_300, at)).toEqual([
      { body: { kind: "prepare", postId: "p3", version: 1, sendsPublish: true }, delaySeconds: 25 },
    ]);
    expect(publishMessages({ id: "p7", version: 1, platform: "facebook" }, at + 40_300, at)).toHaveLength(1);
  });

  it("TikTok due too soon to prepare: the plain publish message", () => {
    expect(publishMessages({ id: "p8", version: 2, platform: "tiktok" }, at + 4_000, at)).toEqual([
      { body: { kind: "publish", postId: "p8", version: 2 }, delaySeconds: 3 },
    ]);
  });

  it("prepares at once when the post is due in less than the lead, not at all when it is due too soon", () => {
    const soon = publishMessages({ id: "p4", version: 1, platform: "instagram" }, at + 8_000, at);
    expect(soon.map((m) => [m.body, m.delaySeconds])).toEqual([
      [{ kind: "prepare", postId: "p4", version: 1 }, 0],
      [{ kind: "publish", postId: "p4", version: 1 }, 7],
    ]);
    const now = publishMessages({ id: "p5", version: 1, platform: "instagram" }, at + 4_000, at);
    expect(now).toEqual([{ body: { kind: "publish", postId: "p5", version: 1 }, delaySeconds: 3 }]);
    const overdue = publishMessages({ id: "p6", version: 1, platform: "instagram" }, at - 60_000, at);
    expect(overdue).toEqual([{ body: { kind: "publish", postId: "p6", version: 1 }, delaySeconds: 0 }]);
  });
});
