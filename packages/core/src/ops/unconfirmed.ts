import { db } from "../db/service";
import { eachPage } from "../util/pages";
import { allShards } from "../util/shard";

/**
 * How many posts are `unconfirmed` and still being re-checked: they stay in the sparse lease
 * index (leaseUntil = next check) while reconciliation asks the platform. One Query per shard,
 * counting only (the UnconfirmedPosts metric, `pnpm ops health`).
 *
 * Limit: a post whose re-checks have ended (24 h) leaves the index and is no longer counted;
 * it waits for an operator's settle and shows in the ops list of unconfirmed posts.
 *
 * @example
 * emitMetric("unconfirmedPosts", await countUnconfirmed());
 */
export async function countUnconfirmed(): Promise<number> {
  let count = 0;
  await Promise.all(
    allShards().map((leaseShard) =>
      eachPage(
        (cursor) =>
          db()
            .entities.post.query.lease({ leaseShard })
            .where((a, op) => op.eq(a.status, "unconfirmed"))
            .go({ cursor, limit: 500, attributes: ["id"] }),
        (page) => {
          count += page.length;
        },
      ),
    ),
  );
  return count;
}
