import { DateTime } from "luxon";

/**
 * Local calendar days in an IANA time zone, through Luxon (which reads the zone rules from
 * `Intl`): nothing here depends on the process's `TZ`. Dates are `YYYY-MM-DD`, instants ISO
 * UTC strings with milliseconds. Day boundaries are DST-correct: a spring-forward day lasts 23
 * hours, a fall-back day 25, and a day whose midnight does not exist (the clocks jump from
 * 00:00 to 01:00) starts at its first real instant.
 */

/**
 * The first instant of local day `date` in `zone`, as an ISO UTC string.
 *
 * @example
 * dayStartUtc("2026-03-29", "Europe/Paris"); // "2026-03-28T23:00:00.000Z" (the day lasts 23 h)
 */
export function dayStartUtc(date: string, zone: string): string {
  const start = DateTime.fromISO(date, { zone }).startOf("day");
  if (!start.isValid) throw new RangeError(`Not a date in a known zone: ${date} ${zone}`);
  return start.toUTC().toISO() as string;
}

/**
 * The local date of an instant in `zone`.
 *
 * @example
 * localDate("2026-03-29T22:00:00.000Z", "Europe/Paris"); // "2026-03-30"
 */
export function localDate(instant: string | number, zone: string): string {
  const at = typeof instant === "number" ? DateTime.fromMillis(instant, { zone }) : DateTime.fromISO(instant, { zone });
  return at.toISODate() as string;
}

/** Today's date in `zone`. */
export const todayIn = (zone: string, now = Date.now()) => localDate(now, zone);

/**
 * `date` plus `days` calendar days (negative to go back).
 *
 * @example
 * addDays("2026-12-31", 1); // "2027-01-01"
 */
export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: "UTC" }).plus({ days }).toISODate() as string;
}

/**
 * Calendar days from `from` to `to` (`to` − `from`; 0 for the same day, negative when reversed).
 *
 * @example
 * daysBetween("2026-12-01", "2027-01-31"); // 61
 */
export function daysBetween(from: string, to: string): number {
  return Math.round(DateTime.fromISO(to, { zone: "UTC" }).diff(DateTime.fromISO(from, { zone: "UTC" }), "days").days);
}
