import type { Trigger } from "./job-run";

/**
 * The slot a fan-out run's snapshots are keyed by. A scheduled run (EventBridge may fire one
 * twice) takes the start of its schedule's window, so two firings of one window write one
 * snapshot per item; a run fired by hand is a run of its own (its start instant and id). Slots
 * sort by time.
 *
 * @example
 * runSlot("schedule", Date.parse("2026-11-28T13:05:00Z"), "run_1", 6 * 3_600_000) // "2026-11-28T12:00:00.000Z"
 * runSlot("manual", Date.parse("2026-11-28T13:05:00Z"), "run_1", 86_400_000)      // "2026-11-28T13:05:00.000Z#run_1"
 */
export function runSlot(trigger: Trigger, now: number, runId: string, windowMs: number): string {
  if (trigger === "schedule") return new Date(Math.floor(now / windowMs) * windowMs).toISOString();
  return `${new Date(now).toISOString()}#${runId}`;
}
