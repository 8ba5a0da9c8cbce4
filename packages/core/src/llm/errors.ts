import { StudioError } from "../errors";

/** Token counts of a call, as the model reported them (0 when it answered nothing). */
export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
}

/** What an LLM failure carries so it can be explained and billed (raw text, finish reason, usage, cause). */
export interface LlmFailureInfo {
  entryPoint?: string;
  model?: string;
  finishReason?: string | null;
  /** The model's raw text, when it answered something unusable (kept out of responses). */
  rawText?: string;
  usage?: LlmUsage;
  cause?: unknown;
}

/** The four codes of api.md. Each maps once to HTTP (its status) and once to a queue outcome (outcome.ts). */
export type LlmErrorCode = "llm.unavailable" | "llm.invalid_output" | "llm.refused" | "llm.budget_exceeded";

/** Base of every LLM failure; `details` (what a client sees) never holds the raw text. */
export class LlmError extends StudioError {
  constructor(
    code: LlmErrorCode,
    message: string,
    status: number,
    readonly info: LlmFailureInfo = {},
    details?: unknown,
  ) {
    super(code, message, status, details);
  }
}

/** 503 + Retry-After: timeouts, 5xx, rate limits after retries, dropped connections. */
export class LlmUnavailableError extends LlmError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    info: LlmFailureInfo = {},
  ) {
    super("llm.unavailable", message, 503, info, { retryAfterSeconds });
  }
}

/** 502: no valid answer after the one repair (invalid JSON, schema mismatch, `length` stop). */
export class LlmInvalidOutputError extends LlmError {
  constructor(message: string, info: LlmFailureInfo = {}, issues?: string[]) {
    super("llm.invalid_output", message, 502, info, issues ? { issues } : undefined);
  }
}

/** 422: the model refused (or its content filter stopped it). Never retried. */
export class LlmRefusedError extends LlmError {
  constructor(message: string, info: LlmFailureInfo = {}) {
    super("llm.refused", message, 422, info);
  }
}

/** 429 + Retry-After (until the month ends): the workspace's monthly LLM budget is spent. */
export class LlmBudgetExceededError extends LlmError {
  constructor(
    readonly spentUsd: number,
    readonly budgetUsd: number,
    readonly retryAfterSeconds: number,
  ) {
    super(
      "llm.budget_exceeded",
      `This workspace's LLM budget for the month is spent (${spentUsd.toFixed(4)} of ${budgetUsd.toFixed(2)} USD). Raise llmMonthlyBudgetUsd or wait for next month.`,
      429,
      {},
      { spentUsd, budgetUsd },
    );
  }
}

export const isLlmError = (err: unknown): err is LlmError => err instanceof LlmError;
