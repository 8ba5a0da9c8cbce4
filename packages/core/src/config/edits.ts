import { publishTiming } from "./publishing";

/**
 * Slack between the API's clock and the publish worker's (two Lambdas' clocks, kept in step by
 * AWS's time sync to well under a second) and the time an edit's transaction takes to commit.
 */
export const EDIT_CLOCK_MARGIN_MS = 2_000;

/**
 * How long before a scheduled post's time edits close (`PATCH /v1/posts/{id}` answers 409
 * `post.state_conflict` from then on, with `editableUntil`).
 *
 * How an edit and the publish pipeline meet: the post's publish message arrives up to
 * `delivery.waitEarlyMaxMs` before its time and the worker holds it, then claims the post at
 * its time with a write conditional on the version the message carries; an edit is a write
 * conditional on the status and version it read, and bumps the version. So an edit and a claim
 * never both win: an edit that commits first makes the held message stale (dropped) and sends
 * one for the new version; a claim that commits first makes the edit a 409. Closing edits at the
 * message's early arrival plus EDIT_CLOCK_MARGIN_MS keeps the second case from happening under
 * a user (no post is edited while a worker may already hold its message) and the first from
 * costing the post its time. An Instagram container prepared earlier (`prepare.leadMs`) for the
 * old version is not used after an edit: a new one is made with the new caption.
 * Today: 2.5 s + 2 s = 4.5 s (config/publishing.ts).
 *
 * @example
 * editsCloseBeforeDueMs() // 4_500
 */
export function editsCloseBeforeDueMs(): number {
  return publishTiming().delivery.waitEarlyMaxMs + EDIT_CLOCK_MARGIN_MS;
}
