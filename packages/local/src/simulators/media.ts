import type { IncomingMessage, ServerResponse } from "node:http";
import type { Fault } from "./faults";

const KB = 1024;
const MB = 1024 * KB;
const GB = 1024 * MB;

export interface MediaFile {
  contentType: string;
  size: number;
  /** Answer HEAD with 405 (some hosts and presigned URLs refuse HEAD). */
  noHead?: boolean;
}

/**
 * The fake media host's catalogue (`/media/<name>`). Sizes are claimed through Content-Length
 * and bodies are streamed from one small buffer, so `huge.mp4` (5 GB) allocates nothing.
 * `/media/sized/<bytes>/<name>.<ext>` serves any size with the type of its extension.
 */
export const MEDIA_FILES: Record<string, MediaFile> = {
  "image.jpg": { contentType: "image/jpeg", size: 48 * KB },
  "photo.jpg": { contentType: "image/jpeg", size: 210 * KB },
  "image.png": { contentType: "image/png", size: 35 * KB },
  "big-image.jpg": { contentType: "image/jpeg", size: 9 * MB },
  "video.mp4": { contentType: "video/mp4", size: 2_400 * KB },
  "video.mov": { contentType: "video/quicktime", size: 3_100 * KB },
  "huge.mp4": { contentType: "video/mp4", size: 5 * GB },
  "wrong-type.mp4": { contentType: "text/html; charset=utf-8", size: 1_234 },
  "wrong-type.jpg": { contentType: "text/html; charset=utf-8", size: 1_234 },
  "no-head.jpg": { contentType: "image/jpeg", size: 52 * KB, noHead: true },
  "no-head.mp4": { contentType: "video/mp4", size: 1_800 * KB, noHead: true },
};

const TYPES_BY_EXT: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  mp4: "video/mp4",
  mov: "video/quicktime",
  html: "text/html; charset=utf-8",
};

/** What the media host would serve for `name` (path after `/media/`), or undefined (404). */
export function mediaFile(name: string): MediaFile | undefined {
  const direct = MEDIA_FILES[name];
  if (direct) return direct;
  const m = /^sized\/(\d{1,13})\/[\w.-]+\.(\w+)$/.exec(name);
  if (!m) return undefined;
  const contentType = TYPES_BY_EXT[m[2]!.toLowerCase()];
  return contentType ? { contentType, size: Number(m[1]) } : undefined;
}

/** A media URL pointing at this simulator's own media host: what it would serve, or "missing". */
export function inspectOwnMedia(url: string, selfOrigin: string): MediaFile | "missing" | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "missing";
  }
  if (u.origin !== selfOrigin || !u.pathname.startsWith("/media/")) return undefined;
  return mediaFile(decodeURIComponent(u.pathname.slice("/media/".length))) ?? "missing";
}

const CHUNK = 64 * KB;
const filler = (contentType: string) => {
  const b = Buffer.alloc(CHUNK, 0x20);
  if (contentType === "image/jpeg") b.set([0xff, 0xd8, 0xff, 0xe0]);
  else if (contentType === "image/png") b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  else if (contentType.startsWith("video/")) b.write("\0\0\0\x18ftypmp42", "latin1");
  else b.write("<!doctype html><title>Not a video</title>");
  return b;
};

/** Writes `length` bytes from a repeated small buffer, respecting back-pressure. */
function stream(res: ServerResponse, contentType: string, length: number) {
  const buf = filler(contentType);
  let left = length;
  const pump = () => {
    while (left > 0 && !res.destroyed) {
      const n = Math.min(left, CHUNK);
      left -= n;
      const more = res.write(n === CHUNK ? buf : buf.subarray(0, n));
      if (!more) {
        res.once("drain", pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

/**
 * Serves `/media/<name>` (HEAD and GET, with `Range: bytes=a-b`). State faults: `not_found` →
 * 404, `wrong_type` → served as text/html; `server_error` is answered by the pipeline.
 */
export function serveMedia(req: IncomingMessage, res: ServerResponse, name: string, fault?: Fault) {
  let file = mediaFile(name);
  if (fault?.type === "not_found") file = undefined;
  if (file && fault?.type === "wrong_type") file = { ...file, contentType: "text/html; charset=utf-8" };
  if (!file) {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end(req.method === "HEAD" ? undefined : "Not Found");
    return;
  }
  if (req.method === "HEAD" && file.noHead) {
    res.writeHead(405, { allow: "GET", "content-length": 0 });
    res.end();
    return;
  }
  const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ""));
  if (range && file.size > 0) {
    const start = range[1] ? Number(range[1]) : Math.max(0, file.size - Number(range[2] || 0));
    const end = range[1] && range[2] ? Math.min(Number(range[2]), file.size - 1) : file.size - 1;
    if (start >= file.size || start > end) {
      res.writeHead(416, { "content-range": `bytes */${file.size}` });
      res.end();
      return;
    }
    res.writeHead(206, {
      "content-type": file.contentType,
      "content-length": end - start + 1,
      "content-range": `bytes ${start}-${end}/${file.size}`,
      "accept-ranges": "bytes",
    });
    if (req.method === "HEAD") res.end();
    else stream(res, file.contentType, end - start + 1);
    return;
  }
  res.writeHead(200, { "content-type": file.contentType, "content-length": file.size, "accept-ranges": "bytes" });
  if (req.method === "HEAD") res.end();
  else stream(res, file.contentType, file.size);
}
