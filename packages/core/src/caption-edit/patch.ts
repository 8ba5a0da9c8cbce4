import { applyPatch, createPatch } from "diff";

/** A patch longer than this (characters) is not stored: before and after say it all. */
export const PATCH_MAX_CHARS = 16_000;
/** jsdiff gives up after this long (ms) or this many edits: a pathological diff stays cheap. */
export const DIFF_TIMEOUT_MS = 50;
export const DIFF_MAX_EDIT_LENGTH = 1_000;

export type CaptionPatch =
  | { patch: string; patchOmitted?: undefined }
  | { patch?: undefined; patchOmitted: "too_large" | "too_slow" };

/**
 * The unified patch (jsdiff's `createPatch`, applicable with `applyPatch(before, patch)`) from
 * one caption to the next, bounded in time and size: a diff that would take longer than
 * DIFF_TIMEOUT_MS or more than DIFF_MAX_EDIT_LENGTH edits is abandoned (`too_slow`), and a
 * patch over PATCH_MAX_CHARS is dropped (`too_large`). Either way the caller still stores the
 * whole before and after, so nothing is lost.
 *
 * @example
 * captionPatch("Hello world", "Hello there world").patch; // "Index: caption\n…-Hello world\n+Hello there world…"
 */
export function captionPatch(before: string, after: string): CaptionPatch {
  const patch = createPatch("caption", before, after, undefined, undefined, {
    context: 3,
    timeout: DIFF_TIMEOUT_MS,
    maxEditLength: DIFF_MAX_EDIT_LENGTH,
  });
  if (patch === undefined) return { patchOmitted: "too_slow" };
  if (patch.length > PATCH_MAX_CHARS) return { patchOmitted: "too_large" };
  return { patch };
}

/**
 * Applies a stored patch to the caption it was made from (jsdiff's `applyPatch`); `undefined`
 * when it does not fit.
 *
 * @example
 * applyCaptionPatch(edit.before, edit.patch) === edit.after; // true
 */
export function applyCaptionPatch(before: string, patch: string): string | undefined {
  const out = applyPatch(before, patch);
  return out === false ? undefined : out;
}
