import { ValidationError } from "../errors";
import { checkOutboundUrl, OutboundRefusedError, outboundPolicy } from "../net/index";
import type { Platform } from "../platforms";
import { parseInstant } from "../util/time";

/** Caption limits in characters (Unicode code points), per platform. Never truncated. */
export const CAPTION_LIMITS: Record<Platform, number> = { instagram: 2_200, tiktok: 2_200, facebook: 63_206 };

/** How far ahead a post may be scheduled, in calendar months. */
export const MAX_MONTHS_AHEAD = 3;

/** Two posts of one account closer than this get a `post.nearby_post` warning. */
export const NEARBY_WINDOW_MS = 10 * 60_000;

/**
 * Media rules per platform (400 `post.media_invalid`): Instagram one image or one video
 * (a reel), Facebook none or one, TikTok exactly one video.
 *
 * @example
 * checkMedia("tiktok", [{ url: "https://cdn/x.mp4", type: "video" }]); // ok
 */
export function checkMedia(platform: Platform, media: { type: "image" | "video" }[]): void {
  const fail = (message: string) => {
    throw new ValidationError("post.media_invalid", message, { platform, count: media.length });
  };
  if (platform === "instagram" && media.length !== 1) fail("An Instagram post needs exactly one image or one video.");
  if (platform === "facebook" && media.length > 1) fail("A Facebook post takes at most one image or video.");
  if (platform === "tiktok" && (media.length !== 1 || media[0]?.type !== "video")) {
    fail("A TikTok post needs exactly one video.");
  }
}

/**
 * Media links a user gave must be public http(s) URLs (issue 8): what can be judged without a
 * connection — scheme, user info, port, internal address literals in any notation, local host
 * names — is a 400 `post.media_invalid` naming the item. The resolved address is checked again
 * at publish time, when the media check connects (net/guarded-agent.ts).
 *
 * @example
 * checkMediaLinks([{ url: "http://169.254.169.254/latest/meta-data/" }]); // throws post.media_invalid
 */
export function checkMediaLinks(media: { url: string }[]): void {
  const policy = outboundPolicy();
  media.forEach((item, i) => {
    try {
      checkOutboundUrl(item.url, policy);
    } catch (err) {
      if (!(err instanceof OutboundRefusedError)) throw err;
      throw new ValidationError("post.media_invalid", err.message, [{ path: `media.${i}.url`, message: err.message }]);
    }
  });
}

/**
 * Caption length per platform (400 `post.caption_too_long`); the caption is never truncated.
 *
 * @example
 * checkCaption("instagram", "x".repeat(2_201)); // throws post.caption_too_long
 */
export function checkCaption(platform: Platform, caption: string): void {
  const length = [...caption].length;
  const limit = CAPTION_LIMITS[platform];
  if (length > limit) {
    throw new ValidationError(
      "post.caption_too_long",
      `The caption has ${length} characters; ${platform} allows at most ${limit}.`,
      { platform, length, limit },
    );
  }
}

/**
 * Validates a publication time and returns it as UTC ISO (milliseconds kept): 400
 * `validation_failed` for a non-instant, `post.schedule_in_past` for a past one,
 * `post.schedule_too_far` beyond 3 calendar months from now (UTC calendar, day clamped to the
 * month's end: from 30 November, the limit is 28/29 February at the same time of day).
 *
 * @example
 * checkScheduleTime("2026-12-01T09:00:00.123+01:00", now); // "2026-12-01T08:00:00.123Z"
 */
export function checkScheduleTime(value: string, now = Date.now()): string {
  const at = parseInstant(value);
  if (!at) {
    throw new ValidationError("validation_failed", "Invalid request.", [
      { path: "scheduledFor", message: "Must be an ISO-8601 instant with an offset or Z." },
    ]);
  }
  if (at.getTime() < now) {
    throw new ValidationError("post.schedule_in_past", "The publication time is in the past.", {
      scheduledFor: at.toISOString(),
      now: new Date(now).toISOString(),
    });
  }
  const latest = addCalendarMonths(new Date(now), MAX_MONTHS_AHEAD);
  if (at.getTime() > latest.getTime()) {
    throw new ValidationError(
      "post.schedule_too_far",
      `Posts can be scheduled at most ${MAX_MONTHS_AHEAD} months ahead (until ${latest.toISOString()}).`,
      { scheduledFor: at.toISOString(), latest: latest.toISOString() },
    );
  }
  return at.toISOString();
}

/** `date` plus `months` calendar months in UTC, the day clamped to the target month's length. */
export function addCalendarMonths(date: Date, months: number): Date {
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const out = new Date(date.getTime());
  out.setUTCDate(1);
  out.setUTCFullYear(y, m, Math.min(date.getUTCDate(), lastDay));
  return out;
}
