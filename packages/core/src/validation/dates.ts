import { z } from "zod";
import { parseCalendarDate, parseInstant } from "../util/time";

/**
 * An ISO-8601 instant with an offset or Z, strictly a real one (see `parseInstant`: no
 * calendar rollover, years 1970–9999 in UTC). Stays a string: the domain normalises to UTC.
 *
 * @example
 * z.object({ scheduledFor: instant() }).parse({ scheduledFor: "2026-11-31T12:00:00Z" }); // throws
 */
export const instant = () =>
  z
    .string()
    .max(40)
    .refine(
      (s) => parseInstant(s) !== undefined,
      "Must be a real ISO-8601 instant with an offset or Z, between 1970 and 9999 (e.g. 2026-12-01T09:30:00+01:00).",
    );

/**
 * A calendar date `YYYY-MM-DD` that exists (2026-02-29 does not), years 1970–9999.
 *
 * @example
 * z.object({ startsOn: calendarDate() });
 */
export const calendarDate = () =>
  z
    .string()
    .max(10)
    .refine((s) => parseCalendarDate(s) !== undefined, "Must be a real calendar date YYYY-MM-DD (1970–9999).");

/**
 * Refines an object so that `lower` ≤ `upper` when both are present (instants compared as
 * instants, calendar dates as strings): a reversed range is a 400 naming `upper`, never a 500.
 * Use after the fields themselves validated (it skips values that do not parse).
 *
 * @example
 * const Query = orderedRange(z.object({ from: instant().optional(), to: instant().optional() }), "from", "to");
 */
export function orderedRange<T extends z.ZodTypeAny, K extends string>(schema: T, lower: K, upper: K) {
  return schema.superRefine((value: Record<string, unknown>, ctx) => {
    const a = value?.[lower];
    const b = value?.[upper];
    if (typeof a !== "string" || typeof b !== "string") return;
    const ta = parseInstant(a)?.getTime() ?? (parseCalendarDate(a) ? a : undefined);
    const tb = parseInstant(b)?.getTime() ?? (parseCalendarDate(b) ? b : undefined);
    if (ta === undefined || tb === undefined) return;
    if (ta > tb) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [upper], message: `Must not be before ${lower}.` });
  });
}
