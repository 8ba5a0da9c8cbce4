import { captionPatch } from "../caption-edit/patch";
import { editsCloseBeforeDueMs } from "../config/edits";
import { db } from "../db/service";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { newId } from "../util/id";
import { nowIso } from "../util/time";
import { enqueueSoon, load, type MediaInput, type PostItem, type PostView, stateConflict, toView } from "./post";
import type { PostStatus } from "./post.entity";
import { checkCaption, checkMedia, checkMediaLinks } from "./rules";

/** A post can be edited until publishing starts (and again once it is known not to be live). */
export const EDITABLE: readonly PostStatus[] = ["draft", "scheduled", "failed", "cancelled"];

/**
 * DynamoDB items hold at most 400 KB. The texts one write stores (the post's caption and its
 * original; an edit record's before, after and patch) stay under this many UTF-8 bytes, the
 * rest of the item (ids, keys, media) well inside the remainder.
 */
export const TEXT_BUDGET_BYTES = 350_000;

/** Attempts when a transaction is cancelled while the version is still the one read. */
const MAX_ATTEMPTS = 3;

export interface EditPostInput {
  caption?: string;
  media?: MediaInput[];
  /** The version the caller last read. */
  version: number;
}

/**
 * Edits a `draft`, `scheduled`, `failed` or `cancelled` post's caption and/or media, with
 * optimistic concurrency on `version`: a stale version is 409 `post.version_conflict` carrying
 * the current post; once publishing has started (or the post is final) 409
 * `post.state_conflict`. Creation's caption and media rules apply.
 *
 * A caption change and its record (before, after, a bounded patch, who, when) are one
 * transaction, conditional on the version read: never a change without its record nor a record
 * without its change, and of two edits of the same version exactly one is kept.
 *
 * A scheduled post keeps its time. Edits close `editsCloseBeforeDueMs()` before it
 * (config/edits.ts: the publish pipeline's lead plus a clock margin; 409 `post.state_conflict`
 * from then on, with `editableUntil`). The edit bumps `version`, so a publish message already
 * queued for the old version is dropped by the worker (its claim is conditional on the
 * version), and the post is sent again for the new version at once when it falls due before
 * the dispatcher's next run (or by the dispatcher, which sends every post whose current version
 * has not been sent):
 *
 *   t−c−ε  edit commits (version v → v+1)  →  message for v+1 sent with its delay
 *   t−2.5 s…t  message for v arrives  →  stale version: dropped
 *   t      message for v+1 arrives →  claim(v+1) → published with the new caption, once
 *
 * And if a worker claimed the post anyway (clocks apart by more than the margin), the edit's
 * transaction, conditional on (scheduled, v), fails: 409 `post.state_conflict`, never an edit
 * under a publish in progress.
 *
 * @example
 * const post = await editPost(ws, id, { caption: "New", version: 3 }, "key_…");
 */
export async function editPost(
  workspaceId: string,
  id: string,
  input: EditPostInput,
  editedBy: string,
  now = Date.now(),
): Promise<PostView> {
  for (let attempt = 1; ; attempt++) {
    const current = await load(workspaceId, id, { consistent: true });
    if (!EDITABLE.includes(current.status)) throw stateConflict(current, "edited");
    if (current.version !== input.version) throw versionConflict(current);
    checkEditWindow(current, now);
    const caption = input.caption ?? current.caption;
    const media = input.media ?? current.media;
    checkMedia(current.platform, media);
    if (input.media) checkMediaLinks(input.media);
    checkCaption(current.platform, caption);
    const captionChanged = caption !== current.caption;
    const mediaChanged = JSON.stringify(media) !== JSON.stringify(current.media);
    if (!captionChanged && !mediaChanged) return toView(current);

    const at = nowIso(now);
    const originalCaption = current.originalCaption ?? current.caption;
    checkTextSize([caption, originalCaption], "post");
    const set = {
      caption,
      originalCaption,
      media: media.map((m) => ({ url: m.url, type: m.type })),
      version: current.version + 1,
      updatedAt: at,
    };
    const record = captionChanged ? editRecord(current, caption, editedBy, at) : undefined;
    // Timeline: read (status S, version v) → write only if still (S, v), with the record in the
    // same transaction. A worker that claimed the post, a move, or another edit in between
    // makes it fail as a whole.
    const result = await db()
      .transaction.write(({ post, captionEdit }) => [
        post
          .patch({ id })
          .set(set)
          .where((a, op) => `${op.eq(a.version, current.version)} AND ${op.eq(a.status, current.status)}`)
          .commit(),
        ...(record ? [captionEdit.create(record).commit()] : []),
      ])
      .go();
    if (!result.canceled) {
      const updated: PostItem = { ...current, ...set };
      await enqueueSoon(updated);
      return toView(updated);
    }
    const { data: fresh } = await db().entities.post.get({ id }).go({ consistent: true });
    if (!fresh || fresh.workspaceId !== workspaceId) throw new NotFoundError("post.not_found", "Post not found.");
    // Cancelled although nothing changed yet: another transaction on the item was in flight
    // (TransactionConflict). Read again and retry; it has committed or failed by then.
    if (fresh.version === current.version && fresh.status === current.status && attempt < MAX_ATTEMPTS) continue;
    if (!EDITABLE.includes(fresh.status)) throw stateConflict(fresh, "edited");
    throw versionConflict(fresh);
  }
}

/**
 * 409 `post.state_conflict` once a scheduled post is within `editsCloseBeforeDueMs` of its time
 * (or of the later time a hold moved it to): the publish pipeline is taking it. `details` says
 * until when it was editable; cancel or move it to change it.
 */
export function checkEditWindow(post: PostItem, now: number): void {
  if (post.status !== "scheduled" || !post.scheduledFor) return;
  const at = Date.parse(post.scheduledFor);
  const held = post.heldUntil ? Date.parse(post.heldUntil) : Number.NaN;
  const dueAt = Number.isNaN(held) ? at : Math.max(at, held);
  const closesAt = dueAt - editsCloseBeforeDueMs();
  if (now < closesAt) return;
  const seconds = editsCloseBeforeDueMs() / 1000;
  throw new ConflictError(
    "post.state_conflict",
    `This post is due at ${new Date(dueAt).toISOString()} and is being handed to the publisher: edits close ${seconds} s before its time. Cancel or move it to change it.`,
    { status: post.status, version: post.version, editableUntil: new Date(closesAt).toISOString() },
  );
}

/** 409 `post.version_conflict` with the current post in `details`, so the client can merge. */
export function versionConflict(post: PostItem): ConflictError {
  return new ConflictError(
    "post.version_conflict",
    `This post was changed since you read it (your version is stale; it is at version ${post.version}).`,
    toView(post),
  );
}

function editRecord(current: PostItem, after: string, editedBy: string, at: string) {
  const before = current.caption;
  let diff = captionPatch(before, after);
  if (diff.patch && utf8(before) + utf8(after) + utf8(diff.patch) > TEXT_BUDGET_BYTES) {
    diff = { patchOmitted: "too_large" };
  }
  checkTextSize([before, after], "edit record");
  return {
    postId: current.id,
    workspaceId: current.workspaceId,
    id: newId("edit"),
    editedAt: at,
    baseVersion: current.version,
    editedBy,
    before,
    after,
    ...diff,
  };
}

const utf8 = (s: string) => Buffer.byteLength(s, "utf8");

/**
 * Only reachable with captions of tens of thousands of 3–4-byte characters (Facebook allows
 * 63,206 characters): refused with a clear 400 rather than a DynamoDB size error.
 */
function checkTextSize(texts: string[], what: string): void {
  const bytes = texts.reduce((n, t) => n + utf8(t), 0);
  if (bytes > TEXT_BUDGET_BYTES) {
    throw new ValidationError(
      "post.edit_too_large",
      `This edit cannot be stored: the ${what} would hold ${bytes} bytes of text (at most ${TEXT_BUDGET_BYTES}). Shorten the caption.`,
      { bytes, limit: TEXT_BUDGET_BYTES },
    );
  }
}
