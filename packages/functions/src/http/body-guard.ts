import { StudioError, ValidationError } from "@studio/core/errors";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";

/** Bytes a request body may have, unless its route is listed in `BODY_LIMITS`. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** Brackets a body may nest (a brand profile is limited further by its own schema). */
export const MAX_JSON_DEPTH = 32;

/**
 * Routes whose bodies need more than the default: a post carries a caption of up to 63,206
 * characters (Facebook; up to 4 bytes each in UTF-8) and up to 20 media links of 2 KB. Add a
 * line here for a new route with large bodies; every other route gets `DEFAULT_BODY_LIMIT`.
 */
export const BODY_LIMITS: { method: string; path: RegExp; bytes: number }[] = [
  { method: "POST", path: /^\/v1\/posts\/?$/, bytes: 512 * 1024 },
  { method: "PATCH", path: /^\/v1\/posts\/[^/]+\/?$/, bytes: 512 * 1024 },
];

export function bodyLimitFor(method: string, path: string): number {
  return BODY_LIMITS.find((l) => l.method === method && l.path.test(path))?.bytes ?? DEFAULT_BODY_LIMIT;
}

/** Deepest nesting of `[`/`{` in a JSON text, strings skipped; stops counting past `max`. */
export function jsonDepth(text: string, max = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 91 /* [ */ || ch === 123 /* { */) {
      if (++depth > deepest) deepest = depth;
      if (deepest > max) return deepest;
    } else if (ch === 93 /* ] */ || ch === 125 /* } */) depth--;
  }
  return deepest;
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

export class PayloadTooLargeError extends StudioError {
  constructor(limit: number) {
    super("request.too_large", `The request body is larger than ${Math.floor(limit / 1024)} KB.`, 413, {
      limitBytes: limit,
    });
  }
}

/**
 * The edge of every route that reads a body, before authentication and before parsing:
 * - size, counted while the body streams in (a declared `Content-Length` over the limit is
 *   refused before a byte is read; a chunked body is cut off at the limit): 413
 *   `request.too_large`, so a 200 MB body is never held in memory — on the Node server and on
 *   the Lambda path alike;
 * - a non-empty body must be JSON by its `Content-Type`: otherwise 400 `validation_failed`,
 *   never "no body, take the defaults" (`{"dryRun":true}` sent as text/plain must not replay
 *   for real);
 * - JSON nesting at most `MAX_JSON_DEPTH` (no parser or serializer recursion on 10,000 levels).
 *
 * @example
 * app.use("*", bodyGuard);
 */
export const bodyGuard = createMiddleware(async (c, next) => {
  if (!c.req.raw.body) return next();
  const maxSize = bodyLimitFor(c.req.method, c.req.path);
  const limited = bodyLimit({
    maxSize,
    onError: () => {
      throw new PayloadTooLargeError(maxSize);
    },
  });
  return limited(c, async () => {
    const text = await c.req.text();
    if (text.length === 0) return next();
    const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim();
    if (!JSON_TYPE.test(type)) {
      const message = "The request body must be JSON, sent with Content-Type: application/json.";
      throw new ValidationError("validation_failed", message, [{ path: "body", message }]);
    }
    if (jsonDepth(text) > MAX_JSON_DEPTH) {
      const message = `JSON may nest at most ${MAX_JSON_DEPTH} levels deep.`;
      throw new ValidationError("validation_failed", message, [{ path: "body", message }]);
    }
    await next();
  });
});
