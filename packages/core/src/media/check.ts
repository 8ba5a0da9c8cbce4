import { checkOutboundUrl, OutboundRefusedError, outboundFetch, outboundPolicy } from "../net/index";
import { classifyNetworkError, isTimeout } from "../platform/classify";
import { PlatformError } from "../platform/errors";
import type { MediaItem } from "../platform/types";
import type { Platform } from "../platforms";
import { redactString } from "../util/logger";

const MB = 1024 * 1024;
const GB = 1024 * MB;

interface Rule {
  maxBytes: number;
  types: string[];
  /** How the accepted types read in a sentence. */
  label: string;
}

/**
 * What each platform accepts, from its public documentation (approximate; the platform has the
 * last word and its own rejection is classified as `post.media_invalid` too):
 * - Instagram Content Publishing: images JPEG only, ≤ 8 MB; videos/reels MP4 or MOV, ≤ 1 GB
 *   (Meta's reels spec has said 300 MB in some versions; 1 GB is the upper bound we enforce).
 * - Facebook Pages: photos JPEG, PNG, GIF, BMP, TIFF, WebP ≤ 10 MB; videos via `file_url`
 *   ≤ 1 GB (non-resumable upload limit).
 * - TikTok Content Posting: MP4, MOV or WebM ≤ 4 GB; no images through the video endpoint.
 */
export const MEDIA_RULES: Record<Platform, Partial<Record<MediaItem["type"], Rule>>> = {
  instagram: {
    image: { maxBytes: 8 * MB, types: ["image/jpeg"], label: "JPEG" },
    video: { maxBytes: 1 * GB, types: ["video/mp4", "video/quicktime"], label: "MP4 or MOV" },
  },
  facebook: {
    image: {
      maxBytes: 10 * MB,
      types: ["image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff", "image/webp"],
      label: "JPEG, PNG, GIF, BMP, TIFF or WebP",
    },
    video: { maxBytes: 1 * GB, types: ["video/mp4", "video/quicktime"], label: "MP4 or MOV" },
  },
  tiktok: {
    video: { maxBytes: 4 * GB, types: ["video/mp4", "video/quicktime", "video/webm"], label: "MP4, MOV or WebM" },
  },
};

const EXT_TYPES: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  mp4: "video/mp4",
  mov: "video/quicktime",
  webm: "video/webm",
};

export type MediaCheckResult =
  | { ok: true }
  | { ok: false; code: "post.media_invalid" | "post.media_unreachable"; message: string };

/** How the check calls the media host: `outboundFetch` (public addresses only) unless a test injects one. */
export type MediaFetch = (
  url: string,
  init: { method: "HEAD" | "GET"; headers: Record<string, string>; signal: AbortSignal },
) => Promise<Response>;

export interface MediaCheckOptions {
  /** Per request (HEAD, then the ranged GET if needed). Default 8 s. */
  timeoutMs?: number;
  /** Epoch ms: no request runs past it (the publish invocation's time budget). */
  deadlineAt?: number;
  fetch?: MediaFetch;
}

const NAMES: Record<Platform, string> = { instagram: "Instagram", facebook: "Facebook", tiktok: "TikTok" };

function size(n: number): string {
  if (n >= GB) return `${(n / GB).toFixed(1)} GB`;
  if (n >= MB) return `${(n / MB).toFixed(1)} MB`;
  return `${Math.ceil(n / 1024)} KB`;
}

/** The URL as shown to a user: no query string (it may carry a signature or a token). */
function shown(url: string): string {
  try {
    const u = new URL(url);
    return redactString(`${u.origin}${u.pathname}`);
  } catch {
    return redactString(url.slice(0, 100));
  }
}

const unavailable = (platform: Platform, message: string, httpStatus?: number, retryAfterMs?: number) =>
  new PlatformError({ platform, kind: "retryable", code: "media.host_unavailable", message, httpStatus, retryAfterMs });

async function probe(platform: Platform, url: string, opts: MediaCheckOptions): Promise<Response> {
  const doFetch: MediaFetch = opts.fetch ?? ((u, init) => outboundFetch(u, init));
  const attempt = async (method: "HEAD" | "GET") => {
    const left = opts.deadlineAt === undefined ? Number.POSITIVE_INFINITY : opts.deadlineAt - Date.now();
    const timeoutMs = Math.max(1, Math.min(opts.timeoutMs ?? 8_000, left));
    try {
      const res = await doFetch(url, {
        method,
        headers: method === "GET" ? { range: "bytes=0-0" } : {},
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Only the headers matter: never download the file.
      await res.body?.cancel().catch(() => {});
      return res;
    } catch (err) {
      // A refused link (internal address, a redirect to one…) is a verdict on the post, not a
      // host outage: the caller reports it without anything learned about the target.
      if (err instanceof OutboundRefusedError) throw err;
      if (isTimeout(err))
        throw unavailable(
          platform,
          `The media host did not answer within ${Math.ceil(timeoutMs / 100) / 10} s (${shown(url)}).`,
        );
      const e = classifyNetworkError({ platform, operation: "media.check", idempotent: true }, err);
      if (e.platformCode === "ENOTFOUND") throw e; // handled by the caller as unreachable
      throw unavailable(platform, `The media host could not be reached (${shown(url)}): ${e.message}`);
    }
  };
  const head = await attempt("HEAD");
  // Some hosts (and presigned GET URLs) refuse HEAD: ask for one byte instead.
  if ([403, 405, 501].includes(head.status) || head.status === 400) return attempt("GET");
  return head;
}

function totalSize(res: Response): number | undefined {
  const range = res.headers.get("content-range")?.match(/\/(\d+)\s*$/);
  if (range) return Number(range[1]);
  if (res.status === 206) return undefined;
  const len = res.headers.get("content-length");
  return len && /^\d+$/.test(len) ? Number(len) : undefined;
}

const article = (kind: string) => (kind === "image" ? "an image" : "a video");

async function checkOne(platform: Platform, item: MediaItem, opts: MediaCheckOptions): Promise<MediaCheckResult> {
  const where = shown(item.url);
  const rule = MEDIA_RULES[platform][item.type];
  if (!rule)
    return { ok: false, code: "post.media_invalid", message: `${NAMES[platform]} does not accept ${item.type}s here.` };
  let u: URL;
  try {
    u = new URL(item.url);
  } catch {
    return { ok: false, code: "post.media_invalid", message: `The media link is not a valid URL: ${where}.` };
  }
  if (u.protocol !== "https:" && u.protocol !== "http:")
    return { ok: false, code: "post.media_invalid", message: `The media link must be a public http(s) URL: ${where}.` };

  let res: Response;
  try {
    checkOutboundUrl(item.url, outboundPolicy());
    res = await probe(platform, item.url, opts);
  } catch (err) {
    if (err instanceof OutboundRefusedError)
      // Not even the link: under a rebinding name it would tell the caller which name is internal.
      return { ok: false, code: "post.media_invalid", message: `${err.message} Replace the media link.` };
    if (err instanceof PlatformError && err.platformCode === "ENOTFOUND")
      return {
        ok: false,
        code: "post.media_unreachable",
        message: `The media host ${u.hostname} does not exist; check the link ${where}.`,
      };
    throw err;
  }
  if (res.status === 429 || res.status === 408 || res.status >= 500) {
    const ra = Number(res.headers.get("retry-after"));
    throw unavailable(
      platform,
      `The media host answered HTTP ${res.status} for ${where}; Studio will try again.`,
      res.status,
      Number.isFinite(ra) && ra > 0 ? ra * 1000 : undefined,
    );
  }
  if (res.status === 404 || res.status === 410)
    return {
      ok: false,
      code: "post.media_unreachable",
      message: `The media file was not found (HTTP ${res.status}) at ${where}; upload it again or fix the link.`,
    };
  if (res.status === 401 || res.status === 403)
    return {
      ok: false,
      code: "post.media_unreachable",
      message: `The media file at ${where} is not public (HTTP ${res.status}); ${NAMES[platform]} must be able to download it without signing in.`,
    };
  if (res.status < 200 || res.status >= 300)
    return {
      ok: false,
      code: "post.media_unreachable",
      message: `The media file at ${where} could not be fetched (HTTP ${res.status}).`,
    };

  let type = (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!type || type === "application/octet-stream" || type === "binary/octet-stream") {
    // Storage buckets often serve a generic type: fall back on the file extension.
    type = EXT_TYPES[u.pathname.split(".").pop()?.toLowerCase() ?? ""] ?? type;
  }
  if (!rule.types.includes(type)) {
    const found = type ? `is ${type}` : "has no content type";
    const actual = type.startsWith("image/") ? "image" : type.startsWith("video/") ? "video" : undefined;
    const hint =
      actual && actual !== item.type
        ? ` It was added as ${article(item.type)} but the file is ${article(actual)}.`
        : "";
    return {
      ok: false,
      code: "post.media_invalid",
      message: `The file at ${where} ${found}; ${NAMES[platform]} accepts ${rule.label} ${item.type}s.${hint}`,
    };
  }
  const bytes = totalSize(res);
  if (bytes !== undefined && bytes > rule.maxBytes)
    return {
      ok: false,
      code: "post.media_invalid",
      message: `The ${item.type} at ${where} is ${size(bytes)}; ${NAMES[platform]} accepts ${item.type}s up to ${size(rule.maxBytes)}. Compress it or choose a smaller file.`,
    };
  return { ok: true };
}

/**
 * Checks that every media file of a post can be published: reachable (HEAD, or a one-byte
 * ranged GET when HEAD is refused), of an accepted type and within the platform's size limit.
 * A bad file is a result a user can act on; a media host that is down or slow (5xx, 429,
 * timeout) throws a retryable `PlatformError` (`media.host_unavailable`) instead.
 *
 * @example
 * const r = await checkMedia("instagram", [{ url: "https://cdn.example.com/a.jpg", type: "image" }]);
 * if (!r.ok) fail(post, r.code, r.message);
 */
export async function checkMedia(
  platform: Platform,
  media: MediaItem[],
  opts: MediaCheckOptions = {},
): Promise<MediaCheckResult> {
  const results = await Promise.all(media.map((m) => checkOne(platform, m, opts)));
  return results.find((r) => !r.ok) ?? { ok: true };
}
