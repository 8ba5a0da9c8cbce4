import { z } from "zod";
import { table } from "../db/table";

/** Longest cursor accepted: a DynamoDB key of this table, base64url-encoded, stays well under it. */
export const MAX_CURSOR_LENGTH = 2048;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The attributes a page's last key can hold: the table's key and every index's key. */
const KEY_ATTRIBUTES: ReadonlySet<string> = new Set([
  table.partitionKey,
  table.sortKey,
  ...Object.values(table.indexes).flatMap((i) => [i.partitionKey, i.sortKey]),
]);

/**
 * The key a cursor stands for, or `undefined` when the string cannot be a cursor Studio issued.
 * ElectroDB's cursors are base64url (no padding) of the JSON of DynamoDB's `LastEvaluatedKey`:
 * an object of 2 to 4 non-empty strings named after the table's key attributes. Anything else
 * (blank, another alphabet, JSON `null`/array/string, `{}`, numbers, unknown attributes) would
 * make ElectroDB or DynamoDB throw, or silently restart from page 1.
 *
 * @example
 * decodeCursor("eyJwayI6IiRzIiwic2siOiIkcyJ9"); // { pk: "$s", sk: "$s" }
 * decodeCursor(" "); // undefined
 */
export function decodeCursor(cursor: string): Record<string, string> | undefined {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof key !== "object" || key === null || Array.isArray(key)) return undefined;
  const entries = Object.entries(key);
  if (entries.length < 2 || entries.length > 4) return undefined;
  const wellFormed = entries.every(
    ([name, value]) =>
      KEY_ATTRIBUTES.has(name) && typeof value === "string" && value.length > 0 && value.length <= 1024,
  );
  return wellFormed ? (key as Record<string, string>) : undefined;
}

export const CURSOR_MESSAGE = "Not a cursor returned by this list: pass `nextCursor` from the previous page as is.";

/**
 * A `?cursor=` value: only what could be a cursor Studio issued (see `decodeCursor`).
 *
 * @example
 * z.object({ cursor: cursor().optional() });
 */
export const cursor = () =>
  z
    .string()
    .max(MAX_CURSOR_LENGTH)
    .refine((s) => decodeCursor(s) !== undefined, CURSOR_MESSAGE);
