import { db } from "../db/service";
import { withCursor } from "../util/cursor";

/** One recorded caption change as the API shows it. */
export interface CaptionEditView {
  id: string;
  at: string;
  /** The API key id, or `agent:<conversationId>`. */
  editedBy: string;
  before: string;
  after: string;
  /** Unified patch from before to after; null when it was too large or too slow to compute. */
  patch: string | null;
  patchOmitted: "too_large" | "too_slow" | null;
  /** The post's version the edit was made against. */
  baseVersion: number;
}

/**
 * A post's caption history, oldest first (by the version each edit was made against). The
 * caller checks the post belongs to the workspace.
 *
 * @example
 * const { items } = await listEdits(postId, { limit: 50 });
 */
export async function listEdits(
  postId: string,
  opts: { limit?: number; cursor?: string | null } = {},
): Promise<{ items: CaptionEditView[]; nextCursor: string | null }> {
  const cursor = opts.cursor ?? null;
  const { data, cursor: next } = await withCursor(cursor, () =>
    db()
      .entities.captionEdit.query.byPost({ postId })
      .go({ cursor, count: opts.limit ?? 50 }),
  );
  return {
    items: data.map((e) => ({
      id: e.id,
      at: e.editedAt,
      editedBy: e.editedBy,
      before: e.before ?? "",
      after: e.after ?? "",
      patch: e.patch ?? null,
      patchOmitted: e.patchOmitted ?? null,
      baseVersion: e.baseVersion,
    })),
    nextCursor: next ?? null,
  };
}
