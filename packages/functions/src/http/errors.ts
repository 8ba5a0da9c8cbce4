import type { Hook } from "@hono/zod-openapi";
import { StudioError } from "@studio/core/errors";
import { logger, redact, redactString } from "@studio/core/util/logger";
import type { Context, Env } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";

/** One entry per bad field, as api.md fixes it. */
export interface FieldProblem {
  path: string;
  message: string;
}

/**
 * `{ error: { code, message, details } }`, redacted: an error may echo a platform URL or
 * answer, and no response ever carries a token.
 */
export function errorBody(code: string, message: string, details: unknown = null) {
  return { error: { code, message: redactString(message), details: redact(details ?? null) } };
}

export function fieldProblems(error: ZodError): FieldProblem[] {
  const seen = new Set<string>();
  const out: FieldProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.length ? issue.path.join(".") : "body";
    if (seen.has(path)) continue;
    seen.add(path);
    out.push({ path, message: issue.message });
  }
  return out;
}

/**
 * The zod-openapi hook of every route: a failed parse of params, query or body is a 400
 * `validation_failed` naming each bad field.
 */
// biome-ignore lint/suspicious/noExplicitAny: the hook is shared by routes of every input type
export const defaultHook: Hook<any, any, any, any> = (result, c) => {
  if (!result.success) {
    return c.json(errorBody("validation_failed", "Invalid request.", fieldProblems(result.error)), 400);
  }
};

/**
 * The one place errors become HTTP answers: a StudioError keeps its code and status; Hono's
 * own 4xx (malformed JSON, wrong content type) are `validation_failed`; anything else is a
 * 500 `internal` with a generic message. No stack ever leaves the process; the log line is
 * redacted by the logger.
 */
export function onError<E extends Env>(err: Error, c: Context<E>) {
  if (err instanceof StudioError) {
    if (err.status >= 500) logger.error("request failed", { path: c.req.path, code: err.code, err });
    const headers: Record<string, string> = {};
    const retry = (err as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (retry !== undefined) headers["Retry-After"] = String(Math.ceil(retry));
    return c.json(errorBody(err.code, err.message, err.details), err.status as ContentfulStatusCode, headers);
  }
  if (err instanceof HTTPException && err.status >= 400 && err.status < 500) {
    const malformed = /json|content-type/i.test(err.message);
    return c.json(
      errorBody(
        err.status === 400 || malformed ? "validation_failed" : "request.invalid",
        malformed ? "The request body must be valid JSON." : err.message || "Invalid request.",
        [{ path: "body", message: err.message || "Invalid request." }],
      ),
      (malformed ? 400 : err.status) as ContentfulStatusCode,
    );
  }
  logger.error("unhandled error", { method: c.req.method, path: c.req.path, err });
  return c.json(errorBody("internal", "Something went wrong on our side. Please try again."), 500);
}
