import { Cron } from "croner";

/**
 * EventBridge schedule expressions, evaluated locally exactly as AWS reads them.
 *
 * AWS cron has six fields, `minute hour day-of-month month day-of-week year`, always UTC;
 * day-of-week is 1–7 with 1 = Sunday (or SUN–SAT); exactly one of the two day fields must be
 * `?`. Croner understands all of that once a seconds field is put in front (7-part mode, year
 * last) and Quartz weekday numbering (`alternativeWeekdays`) is switched on. `?` is turned into
 * `*` ourselves so nothing depends on how croner combines the two day fields.
 */
export type ParsedSchedule =
  | { kind: "cron"; expression: string; croner: string; cron: Cron }
  | { kind: "rate"; expression: string; periodMs: number };

const RATE = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.+)\)$/;
const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/**
 * Parses `cron(...)` or `rate(...)` as EventBridge does; throws on anything EventBridge rejects
 * that we can detect (wrong field count, both day fields set or both `?`, `rate(1 minutes)`).
 *
 * @example
 * nextRuns(parseSchedule("cron(0 9 ? * MON *)"), new Date("2026-11-24T10:00:00Z"), 1);
 * // → [2026-11-30T09:00:00.000Z]
 */
export function parseSchedule(expression: string): ParsedSchedule {
  const rate = RATE.exec(expression.trim());
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2] as string;
    const singular = unit.replace(/s$/, "") as keyof typeof UNIT_MS;
    if (n < 1) throw new Error(`invalid schedule ${expression}: rate must be positive`);
    if ((n === 1) !== (unit === singular)) {
      throw new Error(`invalid schedule ${expression}: use "1 ${singular}" or "N ${singular}s"`);
    }
    return { kind: "rate", expression, periodMs: n * UNIT_MS[singular] };
  }
  const cron = CRON.exec(expression.trim());
  if (!cron) throw new Error(`invalid schedule ${expression}: expected cron(...) or rate(...)`);
  const fields = (cron[1] as string).trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`invalid schedule ${expression}: AWS cron has 6 fields`);
  const [minute, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === "?") === (dow === "?")) {
    throw new Error(`invalid schedule ${expression}: exactly one of day-of-month and day-of-week must be "?"`);
  }
  const croner = ["0", minute, hour, star(dom), month, star(dow), year].join(" ");
  const cronInstance = new Cron(croner, {
    timezone: "UTC",
    mode: "7-part",
    alternativeWeekdays: true,
    paused: true,
  });
  return { kind: "cron", expression, croner, cron: cronInstance };
}

const star = (field: string) => (field === "?" ? "*" : field);

/**
 * The next `count` fire times strictly after `from`. For `rate(...)` the rule is taken as
 * created at `from` (EventBridge counts a rate from the rule's creation).
 */
export function nextRuns(schedule: ParsedSchedule, from: Date, count: number): Date[] {
  if (schedule.kind === "rate") {
    return Array.from({ length: count }, (_, i) => new Date(from.getTime() + (i + 1) * schedule.periodMs));
  }
  return schedule.cron.nextRuns(count, from);
}
