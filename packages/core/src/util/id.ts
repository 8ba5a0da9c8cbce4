import { randomBytes } from "node:crypto";

/**
 * Time-ordered, URL-safe ids: 10 chars of millisecond time + 12 of randomness, with a prefix
 * naming the kind (`post_…`, `acct_…`), so ids sort by creation and say what they are.
 */
export function newId(prefix: string): string {
  const time = Date.now().toString(36).padStart(10, "0");
  return `${prefix}_${time}${randomBytes(8).toString("base64url").slice(0, 12)}`;
}
