import { ValidationError } from "../errors";
import { CURSOR_MESSAGE, decodeCursor } from "../validation/cursor";

const invalidCursor = () =>
  new ValidationError("validation_failed", "Invalid request.", [{ path: "cursor", message: CURSOR_MESSAGE }]);

/**
 * Runs a paginated query from a caller's cursor. A cursor that is not one we issued is the
 * caller's mistake: 400 `validation_failed` on `cursor`, never a 500 — both when it cannot be a
 * cursor at all (checked before any read: not base64url JSON of a key of this table) and when it
 * decodes but DynamoDB rejects it (another partition's key, another index's, wrong key types).
 * Every list an outside caller pages through goes through here (the HTTP schema checks the
 * same shape at the edge; this is the depth behind it, for every other caller of core).
 *
 * @example
 * const page = await withCursor(cursor, () => query.go({ cursor, count: 50 }));
 */
export async function withCursor<T>(cursor: string | null | undefined, run: () => Promise<T>): Promise<T> {
  if (cursor && decodeCursor(cursor) === undefined) throw invalidCursor();
  try {
    return await run();
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: { name?: string } };
    const rejected =
      /cursor/i.test(e.message ?? "") || e.name === "ValidationException" || e.cause?.name === "ValidationException";
    if (cursor && rejected) throw invalidCursor();
    throw err;
  }
}
