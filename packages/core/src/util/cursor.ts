import { ValidationError } from "../errors";

/**
 * Runs a paginated query; a cursor that is not one we issued (unparsable, or a key DynamoDB
 * rejects) is the caller's mistake: 400 `validation_failed` on `cursor`, never a 500.
 *
 * @example
 * const page = await withCursor(cursor, () => query.go({ cursor, count: 50 }));
 */
export async function withCursor<T>(cursor: string | null | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: { name?: string } };
    const rejected =
      /cursor/i.test(e.message ?? "") || e.name === "ValidationException" || e.cause?.name === "ValidationException";
    if (cursor && rejected) {
      throw new ValidationError("validation_failed", "Invalid request.", [
        { path: "cursor", message: "Not a cursor returned by this list." },
      ]);
    }
    throw err;
  }
}
