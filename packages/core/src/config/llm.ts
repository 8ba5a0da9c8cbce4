/**
 * LLM settings: the model, its price, and each entry point's budgets (time, retries, input and
 * output tokens). The one place a reader finds what a planner or repurposer call may cost and
 * how long it may take. Environment overrides exist for tests (short timeouts) and operators.
 */

/** USD per million tokens (OpenAI list prices, standard tier, November 2026). */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
}

export const PRICES: Record<string, ModelPrice> = {
  "gpt-4o": { inputPerMTok: 2.5, outputPerMTok: 10 },
  "gpt-4o-mini": { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  "gpt-4.1": { inputPerMTok: 2, outputPerMTok: 8 },
  "gpt-4.1-mini": { inputPerMTok: 0.4, outputPerMTok: 1.6 },
  "gpt-5": { inputPerMTok: 1.25, outputPerMTok: 10 },
  "gpt-5-mini": { inputPerMTok: 0.25, outputPerMTok: 2 },
};

/** A model missing from the table is priced like the most expensive one: never under-counted. */
const FALLBACK_PRICE: ModelPrice = { inputPerMTok: 2.5, outputPerMTok: 10 };

/** USD for one call, from the price table (dated model names resolve to their family). */
export function costUsd(model: string, promptTokens: number, completionTokens: number): number {
  const price = PRICES[model] ?? PRICES[model.replace(/-\d{4}-\d{2}-\d{2}$/, "")] ?? FALLBACK_PRICE;
  const usd = (promptTokens * price.inputPerMTok + completionTokens * price.outputPerMTok) / 1_000_000;
  return Math.round(usd * 1e8) / 1e8;
}

/** What every entry point gets. */
export interface EntryPointSpec {
  /** Model name; `STUDIO_LLM_MODEL` overrides all. */
  model: string;
  /** Per HTTP attempt, ms (the SDK's `timeout`). */
  timeoutMs: number;
  /** The SDK's own retries of 408/409/429/5xx/connection errors (honouring retry-after). */
  maxRetries: number;
  /** `max_completion_tokens` of the first attempt; a `length` stop's repair gets 1.5×. */
  maxOutputTokens: number;
  /** Token budget of the rendered input (brand profile, metrics, competitors, history). */
  inputTokenBudget: number;
  /** Cost estimate of the seed, tokens per request (prompt + completion), for the benchmark. */
  seedEstimate?: [number, number];
}

/**
 * Entry points. The worst case of one call is `(maxRetries + 1) × timeoutMs` plus the SDK's
 * backoff (≤ 8 s each); two calls (one repair) must fit in the `llm` queue consumer's timeout
 * (config/jobs.ts), so a Lambda timeout never ends a call.
 */
export const entryPoints = {
  weeklyPlan: {
    model: "gpt-4o",
    timeoutMs: 45_000,
    maxRetries: 2,
    maxOutputTokens: 2_000,
    inputTokenBudget: 2_000,
    seedEstimate: [2_000, 4_000],
  },
  repurpose: {
    model: "gpt-4o",
    timeoutMs: 30_000,
    maxRetries: 2,
    maxOutputTokens: 1_500,
    inputTokenBudget: 1_500,
    seedEstimate: [1_500, 3_000],
  },
  weeklyReport: {
    model: "gpt-4o",
    timeoutMs: 45_000,
    maxRetries: 2,
    maxOutputTokens: 2_500,
    inputTokenBudget: 3_000,
    seedEstimate: [3_000, 6_000],
  },
  experimentSummary: {
    model: "gpt-4o",
    timeoutMs: 30_000,
    maxRetries: 2,
    maxOutputTokens: 800,
    inputTokenBudget: 1_200,
    seedEstimate: [1_000, 2_000],
  },
  scoreExplanation: {
    model: "gpt-4o",
    timeoutMs: 15_000,
    maxRetries: 1,
    maxOutputTokens: 400,
    inputTokenBudget: 600,
    seedEstimate: [500, 1_000],
  },
  campaignPlan: {
    model: "gpt-4o",
    timeoutMs: 45_000,
    maxRetries: 2,
    maxOutputTokens: 3_000,
    inputTokenBudget: 2_000,
  },
  agent: {
    model: "gpt-4o",
    timeoutMs: 20_000,
    maxRetries: 1,
    maxOutputTokens: 800,
    inputTokenBudget: 4_000,
  },
} satisfies Record<string, EntryPointSpec>;

export type EntryPoint = keyof typeof entryPoints;

/**
 * The spec in force for an entry point: `STUDIO_LLM_MODEL`, `STUDIO_LLM_TIMEOUT_MS` and
 * `STUDIO_LLM_MAX_RETRIES` override every entry point (tests use short timeouts so a "slow
 * answer" fault costs a second, not a minute).
 */
export function entryPointSpec(name: EntryPoint): EntryPointSpec {
  const base: EntryPointSpec = entryPoints[name];
  const timeout = Number(process.env.STUDIO_LLM_TIMEOUT_MS);
  const retries = process.env.STUDIO_LLM_MAX_RETRIES;
  return {
    ...base,
    model: process.env.STUDIO_LLM_MODEL || base.model,
    timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : base.timeoutMs,
    maxRetries: retries !== undefined && retries !== "" ? Math.max(0, Number(retries)) : base.maxRetries,
  };
}

/** Monthly LLM budget of a workspace that has not set `llmMonthlyBudgetUsd`. */
export const defaultMonthlyBudgetUsd = () => Number(process.env.STUDIO_LLM_DEFAULT_BUDGET_USD ?? 25);

/** How long usage ledger entries are kept (DynamoDB TTL), days. */
export const USAGE_RETENTION_DAYS = 400;

/**
 * Runs (claims) a background generation gets before a retryable failure (an unavailable model,
 * a storage error) ends it `failed`. Counted on the generation, not by SQS receives: the `llm`
 * queue's `maxReceiveCount` (config/jobs.ts) is higher, so a delivery put back while another run
 * held the lease does not use up a run, and the last receive still ends it instead of the DLQ.
 */
export const GENERATION_MAX_RUNS = 4;
