import { describe, expect, it } from "vitest";
import { addDays, dayStartUtc, daysBetween, localDate } from "./zone";

const hours = (date: string, zone: string) =>
  (Date.parse(dayStartUtc(addDays(date, 1), zone)) - Date.parse(dayStartUtc(date, zone))) / 3_600_000;

/** Checks that hold whatever the process's TZ is. */
function zoneChecks() {
  // Spring forward (Paris, 2026-03-29 02:00 → 03:00): a 23-hour day.
  expect(dayStartUtc("2026-03-29", "Europe/Paris")).toBe("2026-03-28T23:00:00.000Z");
  expect(dayStartUtc("2026-03-30", "Europe/Paris")).toBe("2026-03-29T22:00:00.000Z");
  expect(hours("2026-03-29", "Europe/Paris")).toBe(23);
  // Fall back (New York, 2026-11-01 02:00 → 01:00): a 25-hour day.
  expect(dayStartUtc("2026-11-01", "America/New_York")).toBe("2026-11-01T04:00:00.000Z");
  expect(dayStartUtc("2026-11-02", "America/New_York")).toBe("2026-11-02T05:00:00.000Z");
  expect(hours("2026-11-01", "America/New_York")).toBe(25);
  // A 30-minute offset with DST (Adelaide, +09:30 → +10:30 on 2026-10-04).
  expect(dayStartUtc("2026-10-04", "Australia/Adelaide")).toBe("2026-10-03T14:30:00.000Z");
  expect(dayStartUtc("2026-10-05", "Australia/Adelaide")).toBe("2026-10-04T13:30:00.000Z");
  expect(hours("2026-10-04", "Australia/Adelaide")).toBe(23);
  expect(hours("2026-04-05", "Australia/Adelaide")).toBe(25);
  // A 30-minute offset without DST, and a 45-minute one.
  expect(dayStartUtc("2026-12-01", "Asia/Kolkata")).toBe("2026-11-30T18:30:00.000Z");
  expect(dayStartUtc("2026-12-01", "Asia/Kathmandu")).toBe("2026-11-30T18:15:00.000Z");
  // A day whose midnight does not exist (Havana springs forward at 00:00 → 01:00): it starts at 01:00.
  expect(dayStartUtc("2026-03-08", "America/Havana")).toBe("2026-03-08T05:00:00.000Z");
  // Instants to local dates, at the edges.
  expect(localDate("2026-03-29T21:59:59.999Z", "Europe/Paris")).toBe("2026-03-29");
  expect(localDate("2026-03-29T22:00:00.000Z", "Europe/Paris")).toBe("2026-03-30");
  expect(localDate("2026-11-02T04:59:59.999Z", "America/New_York")).toBe("2026-11-01");
  expect(localDate("2026-10-03T14:30:00.000Z", "Australia/Adelaide")).toBe("2026-10-04");
  expect(localDate("2026-10-03T14:29:59.999Z", "Australia/Adelaide")).toBe("2026-10-03");
  expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
  expect(addDays("2026-03-29", 1)).toBe("2026-03-30");
  expect(daysBetween("2026-12-01", "2027-01-31")).toBe(61);
  expect(daysBetween("2026-03-28", "2026-03-30")).toBe(2);
}

describe("local days in a time zone", () => {
  it("cuts days at local midnight, DST-correct, under several process TZ values", () => {
    const saved = process.env.TZ;
    try {
      // Node applies a TZ change at run time; the offsets below prove each one took effect.
      const offsets = new Set<number>();
      for (const tz of ["UTC", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham"]) {
        process.env.TZ = tz;
        offsets.add(new Date(2026, 0, 15).getTimezoneOffset());
        zoneChecks();
      }
      expect(offsets.size).toBe(4);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});
