import { db } from "../db/service";
import { eachPage } from "../util/pages";
import { allShards } from "../util/shard";

/**
 * How many posts are `unconfirmed` and still being re-checked: they stay in the sparse lease
 * index (leaseUntil = next check) while reconciliation asks the platform. One Query per shard,
 * counting only (the UnconfirmedPosts metric, `pnpm ops health`).
 *
 * A post whose re-checks have ended stays in the index too (`leaseUntil` = NO_MORE_CHECKS, which
 * the sweep never reaches) until an operator settles it, so it is still counted: the alarm
 * clears only when no post is left unconfirmed. (`publish/unconfirmed.ts` lists the same posts
 * for operators; core's import rules keep ops/ from calling into publish/.)
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
