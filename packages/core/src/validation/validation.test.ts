import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseInstant } from "../util/time";
import { calendarDate, instant, jsonMap, jsonProblems, orderedRange } from "./index";

describe("strict instants", () => {
  it.each([
    "2026-12-01T09:30:00Z",
    "2026-12-01T09:30:00.123+01:00",
    "2028-02-29T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999Z",
  ])("accepts %s", (s) => expect(parseInstant(s)).toBeInstanceOf(Date));

  it.each([
    ["no rollover", "2026-11-31T12:00:00Z"],
    ["not a leap year", "2026-02-29T12:00:00Z"],
    ["month 13", "2026-13-01T12:00:00Z"],
    ["hour 24", "2026-12-01T24:00:00Z"],
    ["leap second", "2026-12-31T23:59:60Z"],
    ["offset hour 24", "2026-12-01T09:30:00+24:00"],
    ["past 9999 in UTC", "9999-12-31T23:30:00-05:00"],
    ["five-digit year", "+010000-01-01T00:00:00Z"],
    ["before 1970", "1969-12-31T23:59:59Z"],
    ["no offset", "2026-12-01T09:30:00"],
  ])("refuses %s (%s)", (_why, s) => {
    expect(parseInstant(s)).toBeUndefined();
    expect(instant().safeParse(s).success).toBe(false);
  });

  it("calendar dates exist or are refused", () => {
    expect(calendarDate().safeParse("2026-02-28").success).toBe(true);
    expect(calendarDate().safeParse("2026-02-29").success).toBe(false);
    expect(calendarDate().safeParse("2026-11-31").success).toBe(false);
    expect(calendarDate().safeParse("10000-01-01").success).toBe(false);
  });
});

describe("orderedRange", () => {
  const Q = orderedRange(z.object({ from: instant().optional(), to: instant().optional() }), "from", "to");
  it("refuses a reversed range, naming the upper bound", () => {
    const r = Q.safeParse({ from: "2030-01-01T00:00:00Z", to: "2020-01-01T00:00:00Z" });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["to"]);
  });
  it("compares instants, not strings", () => {
    // 10:00+02:00 is 08:00Z: before 09:00Z although it sorts after it as text.
    expect(Q.safeParse({ from: "2030-01-01T10:00:00+02:00", to: "2030-01-01T09:00:00Z" }).success).toBe(true);
    expect(Q.safeParse({ from: "2030-01-01T09:00:00Z" }).success).toBe(true);
  });
});

describe("jsonMap", () => {
  const deep = (n: number) => {
    let v: unknown = 1;
    for (let i = 0; i < n; i++) v = { a: v };
    return v;
  };
  it.each([
    ["an infinite number", { x: Number.POSITIVE_INFINITY }],
    ["an empty key", { "": 1 }],
    ["a 30-digit number", JSON.parse('{"x":123456789012345678901234567890}')],
    ["40 levels", deep(40)],
    ["10,000 levels", deep(10_000)],
    ["a 1 MB string", { x: "x".repeat(1024 * 1024) }],
    ["a reserved key", JSON.parse('{"__proto__": {"admin": true}}')],
    ["a list", [1, 2]],
    ["too many keys", Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i]))],
    ["too large in total", Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, "x".repeat(1000)]))],
  ])("refuses %s", (_why, value) => {
    const r = jsonMap().safeParse(value);
    expect(r.success).toBe(false);
    expect(r.error!.issues.length).toBeLessThanOrEqual(10);
  });

  it("accepts an ordinary brand profile and keeps it as given", () => {
    const profile = { voice: "warm", pillars: ["coffee", "community"], colors: { primary: "#aa3300" }, founded: 2019 };
    expect(jsonMap().parse(profile)).toEqual(profile);
  });

  it("names the bad field", () => {
    expect(jsonProblems({ a: { b: Number.NaN } })).toEqual([{ path: ["a", "b"], message: "Numbers must be finite." }]);
  });
});
