import { db } from "../db/service";
import type { PostItem } from "../post/post";
import { redactString } from "../util/logger";
import { allShards } from "../util/shard";
import { NO_MORE_CHECKS } from "./transitions";

/** An `unconfirmed` post as operators see it: what is unknown, since when, and what to check. */
export interface UnconfirmedView {
  id: string;
  workspaceId: string;
  accountId: string;
  platform: PostItem["platform"];
  caption: string;
  scheduledFor: string | null;
  /** When the irreversible call was sent (the post may be live since then). */
  finalCallAt: string | null;
  /** Handles an operator can look up on the platform. */
  containerId: string | null;
  publishId: string | null;
  lastError: { code: string; message: string } | null;
  /** The next automatic re-check, or null when Studio has stopped asking (settle by hand). */
  nextCheckAt: string | null;
  /** What to look at on the platform before settling. */
  check: string;
}

const WHAT_TO_CHECK: Record<PostItem["platform"], string> = {
  instagram:
    "Look for the caption in the account's recent media (or the container's status); settle published with the media id, or failed.",
  facebook: "Look for the caption among the page's posts and videos; settle published with the post id, or failed.",
  tiktok:
    "Look for the video in the TikTok app (it may be in moderation or the creator's inbox); settle published with the publish id, or failed.",
};

/**
 * Every `unconfirmed` post across workspaces, oldest final call first. They stay in the sparse
 * lease index (with their next re-check, or NO_MORE_CHECKS once Studio stopped asking) until
 * settled, so this reads that index's 16 shards — never a Scan; the index also holds the few
 * posts being published, which are skipped.
 *
 * @example
 * const { items } = await listUnconfirmed({ limit: 100 });
 */
export async function listUnconfirmed(
  opts: { limit?: number } = {},
): Promise<{ items: UnconfirmedView[]; total: number }> {
  const pages = await Promise.all(
    allShards().map((shard) =>
      db()
        .entities.post.query.lease({ leaseShard: shard })
        .where((a, op) => op.eq(a.status, "unconfirmed"))
        .go({ pages: "all" }),
    ),
  );
  const posts = pages.flatMap((p) => p.data).filter((p) => p.status === "unconfirmed");
  posts.sort((a, b) => (a.finalCallAt ?? a.updatedAt).localeCompare(b.finalCallAt ?? b.updatedAt));
  return { items: posts.slice(0, opts.limit ?? 100).map(toUnconfirmedView), total: posts.length };
}

function toUnconfirmedView(p: PostItem): UnconfirmedView {
  return {
    id: p.id,
    workspaceId: p.workspaceId,
    accountId: p.accountId,
    platform: p.platform,
    caption: p.caption,
    scheduledFor: p.scheduledFor ?? null,
    finalCallAt: p.finalCallAt ?? null,
    containerId: p.containerId ?? null,
    publishId: p.publishId ?? null,
    lastError: p.lastError?.code ? { code: p.lastError.code, message: redactString(p.lastError.message ?? "") } : null,
    nextCheckAt: p.leaseUntil && p.leaseUntil !== NO_MORE_CHECKS ? p.leaseUntil : null,
    check: WHAT_TO_CHECK[p.platform],
  };
}
