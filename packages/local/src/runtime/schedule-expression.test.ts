import { schedules } from "@studio/core/config/jobs";
import { describe, expect, it } from "vitest";
import { nextRuns, parseSchedule } from "./schedule-expression";

// Tuesday 24 November 2026, 10:17:31.250 UTC.
const FROM = new Date("2026-11-24T10:17:31.250Z");
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe("parseSchedule: EventBridge cron evaluated in UTC", () => {
  it("every minute fires on each whole minute", () => {
    const runs = nextRuns(parseSchedule("cron(* * * * ? *)"), FROM, 3);
    expect(iso(runs)).toEqual(["2026-11-24T10:18:00.000Z", "2026-11-24T10:19:00.000Z", "2026-11-24T10:20:00.000Z"]);
  });

  it("every 6 hours fires at 00, 06, 12, 18 UTC", () => {
    const runs = nextRuns(parseSchedule("cron(0 */6 * * ? *)"), FROM, 4);
    expect(iso(runs)).toEqual([
      "2026-11-24T12:00:00.000Z",
      "2026-11-24T18:00:00.000Z",
      "2026-11-25T00:00:00.000Z",
      "2026-11-25T06:00:00.000Z",
    ]);
  });

  it("Monday 09:00 UTC, by name and by AWS number (2 = Monday)", () => {
    const expected = ["2026-11-30T09:00:00.000Z", "2026-12-07T09:00:00.000Z"];
    expect(iso(nextRuns(parseSchedule("cron(0 9 ? * MON *)"), FROM, 2))).toEqual(expected);
    expect(iso(nextRuns(parseSchedule("cron(0 9 ? * 2 *)"), FROM, 2))).toEqual(expected);
  });

  it("AWS 1 is Sunday and 7 is Saturday", () => {
    expect(iso(nextRuns(parseSchedule("cron(0 9 ? * 1 *)"), FROM, 1))).toEqual(["2026-11-29T09:00:00.000Z"]);
    expect(iso(nextRuns(parseSchedule("cron(0 9 ? * 7 *)"), FROM, 1))).toEqual(["2026-11-28T09:00:00.000Z"]);
  });

  it("daily midnight UTC", () => {
    const runs = nextRuns(parseSchedule("cron(0 0 * * ? *)"), FROM, 2);
    expect(iso(runs)).toEqual(["2026-11-25T00:00:00.000Z", "2026-11-26T00:00:00.000Z"]);
  });

  it("does not depend on the process time zone", () => {
    const before = process.env.TZ;
    process.env.TZ = "Pacific/Auckland";
    try {
      expect(iso(nextRuns(parseSchedule("cron(0 0 * * ? *)"), FROM, 1))).toEqual(["2026-11-25T00:00:00.000Z"]);
    } finally {
      process.env.TZ = before;
    }
  });

  it("honours the year field and day-of-month lists", () => {
    const runs = nextRuns(parseSchedule("cron(30 8 1,15 * ? 2027)"), FROM, 2);
    expect(iso(runs)).toEqual(["2027-01-01T08:30:00.000Z", "2027-01-15T08:30:00.000Z"]);
  });

  it("rejects what EventBridge rejects", () => {
    expect(() => parseSchedule("cron(* * * * * *)")).toThrow(/exactly one/);
    expect(() => parseSchedule("cron(* * ? * ? *)")).toThrow(/exactly one/);
    expect(() => parseSchedule("cron(0 9 * * ?)")).toThrow(/6 fields/);
    expect(() => parseSchedule("every minute")).toThrow(/expected cron/);
    expect(() => parseSchedule("rate(1 minutes)")).toThrow(/1 minute/);
  });

  it("rate(...) counts from the given instant", () => {
    const runs = nextRuns(parseSchedule("rate(5 minutes)"), FROM, 2);
    expect(iso(runs)).toEqual(["2026-11-24T10:22:31.250Z", "2026-11-24T10:27:31.250Z"]);
  });

  it("parses every schedule of config/jobs.ts", () => {
    for (const spec of Object.values(schedules)) expect(parseSchedule(spec.expression).kind).toBe("cron");
  });
});
