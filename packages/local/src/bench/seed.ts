import { db } from "@studio/core/db/service";
import type { PostItem } from "@studio/core/post/post";
import { newId } from "@studio/core/util/id";
import { shardOf } from "@studio/core/util/shard";

/**
 * Writes `scheduled` posts straight into the table with batch writes, exactly as
 * `Post.create` + `Post.schedule` leave them (version 2, the calendar and sharded due-index
 * keys of post.ts's `scheduleKeys`). Used for the 10,000-post burst and the dispatcher
 * throughput, where creating posts through the API would take longer on DynamoDB Local than
 * what is measured. If post.ts changes its scheduled shape, change it here too.
 *
 * @example
 * const ids = await seedScheduled(ws.id, accounts, 10_000, (i) => at + (i % 60) * 1000, mediaFor);
 */
export async function seedScheduled(
  workspaceId: string,
  accounts: Array<{ id: string; platform: "instagram" | "facebook" | "tiktok" }>,
  count: number,
  dueAt: (i: number) => number,
  media: (platform: "instagram" | "facebook" | "tiktok", i: number) => Array<{ url: string; type: "image" | "video" }>,
  captionPrefix: string,
): Promise<string[]> {
  const now = new Date().toISOString();
  const items: PostItem[] = [];
  for (let i = 0; i < count; i++) {
    const a = accounts[i % accounts.length] as (typeof accounts)[number];
    const id = newId("post");
    const scheduledFor = new Date(dueAt(i)).toISOString();
    items.push({
      id,
      workspaceId,
      accountId: a.id,
      platform: a.platform,
      caption: `${captionPrefix} ${i}`,
      media: media(a.platform, i),
      status: "scheduled",
      version: 2,
      scheduledFor,
      calendarAt: scheduledFor,
      dueShard: shardOf(id),
      dueAt: `${scheduledFor}#${id}`,
      attempts: 0,
      createdAt: now,
      updatedAt: now,
    } as PostItem);
  }
  for (let i = 0; i < items.length; i += 500) {
    const { unprocessed } = await db()
      .entities.post.put(items.slice(i, i + 500))
      .go({ concurrency: 4 });
    if (unprocessed.length) throw new Error(`${unprocessed.length} posts were not written`);
  }
  return items.map((p) => p.id);
}
