import { db } from "@studio/core/db/service";
import type { Platform } from "@studio/core/platforms";
import { newId } from "@studio/core/util/id";
import type { SimulatorControl } from "../simulators/control";

/**
 * Posts that are live on a simulated platform and `published` in Studio, as the publish flow
 * leaves them (`platformPostId` set), without walking each through publishing: for the metrics
 * tests, the demo's and the benchmark's larger sets. Written with batch puts.
 *
 * @example
 * const ids = await seedPublished(sims.control, { workspaceId, accountId, externalAccountId, platform: "instagram", count: 60 });
 */
export async function seedPublished(
  control: SimulatorControl,
  o: {
    workspaceId: string;
    accountId: string;
    externalAccountId: string;
    platform: Platform;
    count: number;
    publishedAgoMs?: number;
  },
): Promise<string[]> {
  const ago = o.publishedAgoMs ?? 3_600_000;
  const remote = control.seedPosts({
    platform: o.platform,
    accountId: o.externalAccountId,
    count: o.count,
    ageMs: ago,
  });
  const now = Date.now();
  const items = remote.map((platformPostId, i) => {
    const at = new Date(now - ago + i).toISOString();
    return {
      id: newId("post"),
      workspaceId: o.workspaceId,
      accountId: o.accountId,
      platform: o.platform,
      caption: `seeded ${i}`,
      media: [{ url: "https://example.com/v.mp4", type: "video" as const }],
      status: "published" as const,
      version: 3,
      scheduledFor: at,
      calendarAt: at,
      attempts: 1,
      externalPostId: platformPostId,
      platformPostId,
      publishedAt: at,
      createdAt: at,
      updatedAt: at,
    };
  });
  for (let i = 0; i < items.length; i += 25)
    await db()
      .entities.post.put(items.slice(i, i + 25))
      .go();
  return items.map((p) => p.id);
}
