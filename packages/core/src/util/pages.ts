/**
 * Walks a paginated ElectroDB query to its end, one page at a time.
 *
 * @example
 * await eachPage((cursor) => db().entities.post.query.byAccount({ accountId }).go({ cursor }), handle);
 */
export async function eachPage<T>(
  read: (cursor: string | null) => Promise<{ data: T[]; cursor: string | null }>,
  each: (items: T[]) => Promise<void> | void,
): Promise<void> {
  let cursor: string | null = null;
  do {
    const page: { data: T[]; cursor: string | null } = await read(cursor);
    if (page.data.length) await each(page.data);
    cursor = page.cursor;
  } while (cursor);
}
