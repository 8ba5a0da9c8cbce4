/**
 * The most items one list request may read from the table, matching or not: as many as the
 * largest page a client can ask for. A filter that matches little (status, a range with few
 * posts) therefore costs a request at most what an unfiltered `limit=200` page costs; the
 * answer may then hold fewer than `limit` items, even none, with a `nextCursor` to go on from.
 */
export const MAX_ITEMS_READ = 200;

export interface BoundedPageInput<T> {
  /** One DynamoDB page of at most `limit` evaluated items from `cursor` (filter applied). */
  read: (page: { limit: number; cursor: string | null }) => Promise<{ data: T[]; cursor: string | null }>;
  /** The cursor that resumes right after `item` (ElectroDB's conversions). */
  cursorAfter: (item: T) => string;
  /** Items wanted. */
  limit: number;
  cursor: string | null;
  /** Whether a filter may drop items (else every item read is returned: pages of exactly `limit`). */
  filtered: boolean;
  /** Items read at most (default MAX_ITEMS_READ). */
  readCap?: number;
}

/**
 * One page of a list whose cost is bounded: at most `readCap` items are read (DynamoDB's
 * `Limit` counts items evaluated before the filter), whatever the filter matches.
 *
 * @example
 * const { items, nextCursor } = await boundedPage({
 *   read: ({ limit, cursor }) => query.where(byStatus).go({ limit, cursor, pages: 1 }),
 *   cursorAfter: (p) => toCursor(p), limit: 50, cursor: null, filtered: true,
 * });
 */
export async function boundedPage<T>(input: BoundedPageInput<T>): Promise<{ items: T[]; nextCursor: string | null }> {
  const cap = Math.max(input.limit, input.readCap ?? MAX_ITEMS_READ);
  const items: T[] = [];
  let cursor = input.cursor;
  let read = 0;
  while (items.length < input.limit && read < cap) {
    const want = input.limit - items.length;
    const size = input.filtered ? Math.min(cap - read, Math.max(want * 2, 100)) : Math.min(cap - read, want);
    const page = await input.read({ limit: size, cursor });
    read += size;
    if (page.data.length > want) {
      const kept = page.data.slice(0, want);
      items.push(...kept);
      return { items, nextCursor: input.cursorAfter(kept[kept.length - 1] as T) };
    }
    items.push(...page.data);
    cursor = page.cursor;
    if (!cursor) return { items, nextCursor: null };
  }
  return { items, nextCursor: cursor };
}
