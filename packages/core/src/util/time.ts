/** Instants are ISO-8601 UTC strings with milliseconds; nothing depends on the process TZ. */
export const nowIso = (now = Date.now()) => new Date(now).toISOString();

/** The instants Studio accepts: four-digit years, and nothing before the Unix epoch. */
export const MIN_INSTANT = "1970-01-01T00:00:00.000Z";
export const MAX_INSTANT = "9999-12-31T23:59:59.999Z";

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|([+-])(\d{2}):?(\d{2}))$/i;

/** Days in a month of the proleptic Gregorian calendar (month 1–12). */
const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** True when year-month-day names a real calendar day (no rollover: 2026-11-31 is not one). */
export function isCalendarDay(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
}

/**
 * Parses an ISO-8601 instant with an offset or Z; returns undefined for anything else.
 * Strict: every field must be in range (no `2026-11-31` rolled over to 1 December, no hour 24,
 * no leap second), and the instant must lie between 1970 and 9999 in UTC, so it sorts
 * correctly as a string in every index.
 *
 * @example
 * parseInstant("2026-12-01T09:30:00+01:00"); // Date 2026-12-01T08:30:00.000Z
 * parseInstant("2026-11-31T12:00:00Z"); // undefined
 */
export function parseInstant(value: string): Date | undefined {
  const m = INSTANT.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second = 0] = m.slice(1, 7).map((v) => (v === undefined ? 0 : Number(v)));
  if (!isCalendarDay(year!, month!, day!) || hour! > 23 || minute! > 59 || second > 59) return undefined;
  if (m[7] && (Number(m[8]) > 23 || Number(m[9]) > 59)) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return undefined;
  const iso = d.toISOString();
  return iso >= MIN_INSTANT && iso <= MAX_INSTANT && iso.length === MAX_INSTANT.length ? d : undefined;
}

/**
 * Parses a calendar date `YYYY-MM-DD` (years 1970–9999); undefined for anything else,
 * including days that do not exist.
 */
export function parseCalendarDate(value: string): { year: number; month: number; day: number } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return year >= 1970 && isCalendarDay(year, month, day) ? { year, month, day } : undefined;
}

/** Epoch seconds `days` from now: the DynamoDB TTL attribute. */
export const ttlInDays = (days: number, now = Date.now()) => Math.floor(now / 1000) + days * 86_400;

/** True when `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
