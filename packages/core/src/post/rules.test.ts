import { describe, expect, it } from "vitest";
import type { StudioError } from "../errors";
import { addCalendarMonths, checkCaption, checkMedia, checkScheduleTime } from "./rules";

const img = { url: "https://x/a.jpg", type: "image" as const };
const vid = { url: "https://x/a.mp4", type: "video" as const };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as StudioError).code;
  }
}

describe("media rules", () => {
  it("Instagram: exactly one image or video", () => {
    expect(codeOf(() => checkMedia("instagram", [img]))).toBeUndefined();
    expect(codeOf(() => checkMedia("instagram", [vid]))).toBeUndefined();
    expect(codeOf(() => checkMedia("instagram", []))).toBe("post.media_invalid");
    expect(codeOf(() => checkMedia("instagram", [img, img]))).toBe("post.media_invalid");
  });
  it("Facebook: none or one", () => {
    expect(codeOf(() => checkMedia("facebook", []))).toBeUndefined();
    expect(codeOf(() => checkMedia("facebook", [vid]))).toBeUndefined();
    expect(codeOf(() => checkMedia("facebook", [img, vid]))).toBe("post.media_invalid");
  });
  it("TikTok: exactly one video", () => {
    expect(codeOf(() => checkMedia("tiktok", [vid]))).toBeUndefined();
    expect(codeOf(() => checkMedia("tiktok", [img]))).toBe("post.media_invalid");
    expect(codeOf(() => checkMedia("tiktok", []))).toBe("post.media_invalid");
    expect(codeOf(() => checkMedia("tiktok", [vid, vid]))).toBe("post.media_invalid");
  });
});

describe("caption limits", () => {
  it("accepts the limit and rejects one more, counting code points", () => {
    expect(codeOf(() => checkCaption("instagram", "a".repeat(2_200)))).toBeUndefined();
    expect(codeOf(() => checkCaption("instagram", "a".repeat(2_201)))).toBe("post.caption_too_long");
    expect(codeOf(() => checkCaption("tiktok", "😀".repeat(2_200)))).toBeUndefined();
    expect(codeOf(() => checkCaption("tiktok", "😀".repeat(2_201)))).toBe("post.caption_too_long");
    expect(codeOf(() => checkCaption("facebook", "a".repeat(63_206)))).toBeUndefined();
    expect(codeOf(() => checkCaption("facebook", "a".repeat(63_207)))).toBe("post.caption_too_long");
  });
});

describe("schedule time", () => {
  const now = Date.parse("2026-11-30T12:00:00.000Z");

  it("stores instants with offsets in UTC to the millisecond", () => {
    expect(checkScheduleTime("2026-12-01T09:30:15.123+01:00", now)).toBe("2026-12-01T08:30:15.123Z");
    expect(checkScheduleTime("2026-12-01T09:30:15.123-08:00", now)).toBe("2026-12-01T17:30:15.123Z");
    expect(checkScheduleTime("2026-12-02T00:00:00+14:00", now)).toBe("2026-12-01T10:00:00.000Z");
  });

  it("rejects non-instants, the past and more than 3 calendar months ahead", () => {
    expect(codeOf(() => checkScheduleTime("tomorrow", now))).toBe("validation_failed");
    expect(codeOf(() => checkScheduleTime("2026-12-01T09:00:00", now))).toBe("validation_failed");
    expect(codeOf(() => checkScheduleTime("2026-11-30T11:59:59.999Z", now))).toBe("post.schedule_in_past");
    // 30 November + 3 months = 28 February (clamped), same time of day.
    expect(checkScheduleTime("2027-02-28T12:00:00.000Z", now)).toBe("2027-02-28T12:00:00.000Z");
    expect(codeOf(() => checkScheduleTime("2027-02-28T12:00:00.001Z", now))).toBe("post.schedule_too_far");
  });

  it("adds calendar months with the day clamped", () => {
    expect(addCalendarMonths(new Date("2026-11-30T12:00:00Z"), 3).toISOString()).toBe("2027-02-28T12:00:00.000Z");
    expect(addCalendarMonths(new Date("2027-11-30T00:00:00Z"), 3).toISOString()).toBe("2028-02-29T00:00:00.000Z");
    expect(addCalendarMonths(new Date("2026-01-15T08:00:00Z"), 3).toISOString()).toBe("2026-04-15T08:00:00.000Z");
    expect(addCalendarMonths(new Date("2026-10-31T23:00:00Z"), 3).toISOString()).toBe("2027-01-31T23:00:00.000Z");
  });
});
