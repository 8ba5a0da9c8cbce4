import { StudioError } from "../errors";
import { LlmError, LlmUnavailableError } from "./errors";

/** What a queue consumer does with a failed background generation. */
export type QueueOutcome =
  | { kind: "retry"; delaySeconds: number; code: string; reason: string }
  | { kind: "fail"; code: string; message: string };

/**
 * The one mapping of errors to queue outcomes (the HTTP mapping is the error's `status`, in
 * functions/src/http/errors.ts): an unavailable model is retried after its Retry-After; invalid
 * output (after the repair), a refusal and a spent budget end the generation `failed` with that
 * code (retrying would cost money for the same answer); another typed 4xx (the source post was
 * deleted meanwhile) fails too; anything else (the table, the queue) is retried with backoff.
 *
 * @example
 * const outcome = queueOutcome(err, receiveCount);
 */
export function queueOutcome(err: unknown, receiveCount: number): QueueOutcome {
  if (err instanceof LlmUnavailableError) {
    return {
      kind: "retry",
      delaySeconds: Math.max(err.retryAfterSeconds, backoff(receiveCount)),
      code: err.code,
      reason: err.message,
    };
  }
  if (err instanceof LlmError) return { kind: "fail", code: err.code, message: err.message };
  if (err instanceof StudioError && err.status < 500) return { kind: "fail", code: err.code, message: err.message };
  return {
    kind: "retry",
    delaySeconds: backoff(receiveCount),
    code: "generation.failed",
    reason: err instanceof Error ? err.message : String(err),
  };
}

/** Exponential, capped at 5 minutes: 1, 2, 4 … seconds by receive count. */
const backoff = (receiveCount: number) => Math.min(300, 2 ** Math.max(0, receiveCount - 1));

/** The error a generation ends with when its retries are used up on a retryable failure. */
export function exhausted(outcome: Extract<QueueOutcome, { kind: "retry" }>): { code: string; message: string } {
  return {
    code: outcome.code,
    message:
      outcome.code === "llm.unavailable"
        ? outcome.reason
        : "Generation failed repeatedly on Studio's side (storage or queue). Please try again.",
  };
}
