import { DateTime } from "luxon";
import { ValidationError } from "../errors";
import { parseCalendarDate } from "../util/time";

/** A plan's week: Monday 00:00 to the next Monday 00:00 in the workspace's zone, as UTC instants. */
export interface Week {
  weekStart: string;
  timezone: string;
  start: string;
  end: string;
}

/**
 * The week starting `weekStart` (a Monday, `YYYY-MM-DD`) in `zone`, DST-correct (a week with a
 * change is 167 or 169 hours). Default: next week. 400 `validation_failed` on `weekStart` for a
 * non-date or a day that is not a Monday; 400 `plan.week_in_past` for a week that has ended.
 *
 * @example
 * planWeek("2026-12-07", "Europe/Paris"); // { start: "2026-12-06T23:00:00.000Z", end: "2026-12-13T23:00:00.000Z", … }
 */
export function planWeek(weekStart: string | undefined, zone: string, now = Date.now()): Week {
  let monday: DateTime;
  if (weekStart === undefined) {
    const today = DateTime.fromMillis(now, { zone }).startOf("day");
    monday = today.plus({ days: 8 - today.weekday });
  } else {
    const d = parseCalendarDate(weekStart);
    monday = d ? DateTime.fromObject(d, { zone }) : DateTime.invalid("not a date");
    if (!monday.isValid || monday.weekday !== 1) {
      throw new ValidationError("validation_failed", "Invalid request.", [
        {
          path: "weekStart",
          message: "Must be a Monday, as YYYY-MM-DD (weeks start on Monday in the workspace's time zone).",
        },
      ]);
    }
  }
  const end = monday.plus({ weeks: 1 });
  if (end.toMillis() <= now) {
    throw new ValidationError("plan.week_in_past", "That week has already ended; plan this week or a later one.", {
      weekStart: monday.toISODate(),
    });
  }
  return {
    weekStart: monday.toISODate() as string,
    timezone: zone,
    start: monday.toUTC().toISO() as string,
    end: end.toUTC().toISO() as string,
  };
}
