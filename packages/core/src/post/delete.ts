import { isConditionalFailure } from "../db/conditional";
import { db } from "../db/service";
import { ConflictError } from "../errors";
import { logger } from "../util/logger";
import { load, stateConflict, stored } from "./post";
import type { PostStatus } from "./post.entity";

/** Attempts when the post changes between the read and the conditional delete. */
const MAX_ATTEMPTS = 3;

/** Only posts known not to be live, and not about to be, can be deleted. */
export const DELETABLE: readonly PostStatus[] = ["draft", "cancelled", "failed"];

/**
 * Deletes a `draft`, `cancelled` or `failed` post (409 `post.state_conflict` otherwise), then
 * its caption history. The delete is conditional on the status and version read, so a post
 * scheduled meanwhile is never deleted from under its publication (a change in between is
 * read again); a second delete is 404. A delete whose condition fails because the post is
 * already gone (the SDK's retry of our own delete whose answer was lost, or another delete at
 * the same moment) has what it asked for: 204, not a 409 nor a 500.
 *
 * @example
 * await deletePost(ws, id);
 */
export async function deletePost(workspaceId: string, id: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const current = await load(workspaceId, id, { consistent: true });
    if (!DELETABLE.includes(current.status)) throw stateConflict(current, "deleted");
    try {
      await db()
        .entities.post.delete({ id })
        .where((a, op) => `${op.eq(a.version, current.version)} AND ${op.eq(a.status, current.status)}`)
        .go({ response: "none" });
      break;
    } catch (err) {
      if (!isConditionalFailure(err)) throw err;
      if (!(await stored(id))) break;
      // Changed since it was read (a move, an edit): read again; it may have become undeletable.
      if (attempt >= MAX_ATTEMPTS)
        throw new ConflictError("post.state_conflict", "This post keeps changing; try again.");
    }
  }
  await deleteHistory(id);
}

/** The post's caption edits. Best effort: if this fails, they are unreachable (their post is gone). */
async function deleteHistory(postId: string): Promise<void> {
  try {
    let cursor: string | null = null;
    do {
      const page: { data: { postId: string; baseVersion: number }[]; cursor: string | null } = await db()
        .entities.captionEdit.query.byPost({ postId })
        .go({ cursor, limit: 100, attributes: ["postId", "baseVersion"] });
      if (page.data.length) await db().entities.captionEdit.delete(page.data).go();
      cursor = page.cursor;
    } while (cursor);
  } catch (err) {
    logger.warn("could not delete a deleted post's caption history", { postId, err });
  }
}
