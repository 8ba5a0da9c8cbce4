/**
 * True for DynamoDB's ConditionalCheckFailed, as ElectroDB or the SDK surface it: the write's
 * condition (a status, a version, an absent item) did not hold, so someone else moved first.
 *
 * @example
 * try { await db().entities.post.patch({ id }).set(change).where(sameVersion).go(); }
 * catch (err) { if (!isConditionalFailure(err)) throw err; }
 */
export function isConditionalFailure(err: unknown): boolean {
  const e = err as { name?: string; cause?: { name?: string }; message?: string } | undefined;
  return (
    e?.name === "ConditionalCheckFailedException" ||
    e?.cause?.name === "ConditionalCheckFailedException" ||
    (typeof e?.message === "string" && e.message.includes("The conditional request failed"))
  );
}
