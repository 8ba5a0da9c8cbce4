import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { type LlmFailureInfo, LlmUnavailableError } from "./errors";

/**
 * Seconds a caller should wait after an unavailable model when it gave no Retry-After
 * (`STUDIO_LLM_RETRY_AFTER_SECONDS` overrides: tests use 1).
 */
export const defaultRetryAfterSeconds = () => Number(process.env.STUDIO_LLM_RETRY_AFTER_SECONDS ?? 10);

/**
 * A transport failure of the SDK (after its own retries) as `llm.unavailable`, with the
 * server's `retry-after` / `retry-after-ms` when it sent one.
 */
export function unavailableFrom(err: unknown, info: LlmFailureInfo): LlmUnavailableError {
  let retryAfter = defaultRetryAfterSeconds();
  let message = "The language model is not available right now. Please try again later.";
  if (err instanceof APIError && err.headers) {
    const ms = Number.parseFloat(err.headers.get("retry-after-ms") ?? "");
    const s = Number.parseFloat(err.headers.get("retry-after") ?? "");
    if (Number.isFinite(ms) && ms >= 0) retryAfter = Math.max(1, Math.ceil(ms / 1000));
    else if (Number.isFinite(s) && s >= 0) retryAfter = Math.max(1, Math.ceil(s));
  }
  if (err instanceof APIConnectionTimeoutError || err instanceof APIUserAbortError) {
    message = "The language model did not answer in time. Please try again later.";
  } else if (err instanceof APIConnectionError) {
    message = "The connection to the language model was lost. Please try again later.";
  } else if (err instanceof APIError && err.status === 429) {
    message = "The language model is rate limiting Studio. Please try again later.";
  } else if (err instanceof APIError && (err.status === 401 || err.status === 403)) {
    message = "The language model rejected Studio's credentials (OPENAI_API_KEY). An operator must fix it.";
  }
  return new LlmUnavailableError(message, retryAfter, { ...info, cause: err });
}

/** The HTTP status of an SDK error, for the ledger ("unavailable" with its reason). */
export function transportReason(err: unknown): string {
  if (err instanceof APIConnectionTimeoutError || err instanceof APIUserAbortError) return "timeout";
  if (err instanceof APIConnectionError) return "connection";
  if (err instanceof APIError) return `http_${err.status ?? "error"}`;
  return "error";
}
