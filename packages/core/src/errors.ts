/**
 * Studio's typed errors. Each carries a stable dotted `code` (`<area>.<what>`) that the API
 * maps to an HTTP status once (functions/src/http/errors.ts) and the queue consumers map to an
 * outcome once (retry / fail / dead-letter).
 */
export class StudioError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the input is wrong; `details` says which field when there is one. */
export class ValidationError extends StudioError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, 400, details);
  }
}

/**
 * 401: no credentials, or credentials we do not know. Messages never put a word right after
 * "Bearer": error bodies are redacted, and `Bearer <word>` reads as a token to the redactor.
 */
export class UnauthorizedError extends StudioError {
  constructor(
    message = "Authentication required: send the header `Authorization: Bearer <token>` with a workspace API key or the admin token.",
  ) {
    super("auth.unauthorized", message, 401);
  }
}

/** 403: known caller, wrong role or wrong kind of token. */
export class ForbiddenError extends StudioError {
  constructor(message = "This token may not do that.") {
    super("auth.forbidden", message, 403);
  }
}

/** 404: absent, or belongs to another workspace (never reveal which). */
export class NotFoundError extends StudioError {
  constructor(code: string, message: string) {
    super(code, message, 404);
  }
}

/** 409: the resource is in a state (or version) that does not allow the operation. */
export class ConflictError extends StudioError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, 409, details);
  }
}

/** 429 on our own API. */
export class RateLimitedError extends StudioError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super("rate_limited", message, 429);
  }
}

/** 503: a dependency (table, queue) is not answering. */
export class UnavailableError extends StudioError {
  constructor(code: string, message: string) {
    super(code, message, 503);
  }
}
