import { FaultRegistry } from "../simulators/faults";

/**
 * The offline model's fault vocabulary (README.md). Matched like the platform simulators'
 * faults: `operation` is `llm.<schema name>` for structured output (`llm.weekly_plan`,
 * `llm.repurpose`), `llm.tools` for a request with tools, `llm.text` otherwise; `llm.*` or `*`
 * matches every request. `times` / `rate` as for the simulators.
 */
export const LLM_FAULT_TYPES = [
  /** Content that is not JSON (a chatty prefix and a cut-off object). */
  "invalid_json",
  /** Valid JSON that breaks the schema (a required field of the wrong type). */
  "schema_mismatch",
  /** `finish_reason: "length"` with the answer cut at the token limit. */
  "length",
  /** `message.refusal` set, no content. */
  "refusal",
  /** HTTP 429 with `retry-after` (`retryAfterSec`, default 1). */
  "rate_limit",
  /** HTTP 500 (or `status`). */
  "server_error",
  /** Waits `delayMs` (default 2000), then answers normally: past a short timeout, the client gives up. */
  "slow",
  /** Never answers; the socket is cut after `delayMs` if given. */
  "timeout",
  /** Destroys the connection before answering. */
  "reset",
] as const;
export type LlmFaultType = (typeof LLM_FAULT_TYPES)[number];

export interface LlmFaultSpec {
  operation: string;
  type: LlmFaultType;
  times?: number;
  rate?: number;
  retryAfterSec?: number;
  delayMs?: number;
  status?: number;
}

export const newLlmFaults = (seed = 1) => new FaultRegistry(seed, LLM_FAULT_TYPES);
