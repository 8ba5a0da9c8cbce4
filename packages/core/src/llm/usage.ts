import { costUsd, defaultMonthlyBudgetUsd, USAGE_RETENTION_DAYS } from "../config/llm";
import { db } from "../db/service";
import { newId } from "../util/id";
import { logger } from "../util/logger";
import { nowIso, ttlInDays } from "../util/time";
import { LlmBudgetExceededError } from "./errors";

/** One call for the ledger. */
export interface UsageEntry {
  workspaceId: string;
  entryPoint: string;
  promptVersion?: string;
  resourceId?: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  outcome: "ok" | "invalid_output" | "refused" | "length" | "unavailable";
  errorCode?: string;
  repair: boolean;
  /** HTTP requests the call made (the SDK's retries of 429/5xx/timeouts included). */
  attempts?: number;
}

/** `YYYY-MM` of an instant, UTC: budgets are per calendar month in UTC. */
export const monthOf = (at: number) => new Date(at).toISOString().slice(0, 7);

/**
 * Writes one call to the ledger and adds its cost to the workspace's month (ADD), in one transaction. A
 * ledger write that fails is logged, never thrown: the model has answered, and losing the
 * generation over bookkeeping would bill the user twice when they retry.
 *
 * @example
 * await recordUsage({ workspaceId, entryPoint: "weeklyPlan", model: "gpt-4o", promptTokens: 1800, … });
 */
export async function recordUsage(entry: UsageEntry, now = Date.now()): Promise<number> {
  const cost = costUsd(entry.model, entry.promptTokens, entry.completionTokens);
  try {
    // One transaction: the ledger entry and the month's ADD both or neither. The SDK keeps one
    // ClientRequestToken across its attempts, so a retry after a lost answer is answered as the
    // applied transaction it repeats: never a second ADD (a double-counted cost) nor a false
    // "could not record" for an entry that was recorded.
    const result = await db()
      .transaction.write(({ llmUsage, llmSpend }) => [
        llmUsage
          .create({
            workspaceId: entry.workspaceId,
            id: newId("llm"),
            at: nowIso(now),
            feature: entry.entryPoint,
            promptVersion: entry.promptVersion,
            resourceId: entry.resourceId,
            model: entry.model,
            promptTokens: entry.promptTokens,
            completionTokens: entry.completionTokens,
            costUsd: cost,
            latencyMs: Math.round(entry.latencyMs),
            outcome: entry.outcome,
            errorCode: entry.errorCode,
            repair: entry.repair,
            attempts: entry.attempts ?? 1,
            ttl: ttlInDays(USAGE_RETENTION_DAYS, now),
          })
          .commit(),
        llmSpend
          .update({ workspaceId: entry.workspaceId, month: monthOf(now) })
          .add({ costUsd: cost, calls: 1 })
          .set({ ttl: ttlInDays(USAGE_RETENTION_DAYS, now) })
          .commit(),
      ])
      .go();
    if (result.canceled) throw new Error(`usage transaction cancelled: ${result.data.map((d) => d.code).join(", ")}`);
  } catch (err) {
    logger.error("could not record LLM usage", {
      workspaceId: entry.workspaceId,
      entryPoint: entry.entryPoint,
      usage: `${entry.promptTokens} in / ${entry.completionTokens} out`,
      err,
    });
  }
  return cost;
}

/** USD spent by the workspace this UTC month. */
export async function spentThisMonth(workspaceId: string, now = Date.now()): Promise<number> {
  const { data } = await db()
    .entities.llmSpend.get({ workspaceId, month: monthOf(now) })
    .go();
  return data?.costUsd ?? 0;
}

/**
 * Throws `llm.budget_exceeded` (429, Retry-After until the next UTC month) when the workspace has
 * spent its monthly budget; called before every LLM call, so at most one call overshoots.
 */
export async function assertBudget(workspaceId: string, budgetUsd: number | null | undefined, now = Date.now()) {
  const budget = budgetUsd ?? defaultMonthlyBudgetUsd();
  const spent = await spentThisMonth(workspaceId, now);
  if (spent >= budget) {
    const d = new Date(now);
    const nextMonth = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    throw new LlmBudgetExceededError(spent, budget, Math.ceil((nextMonth - now) / 1000));
  }
}

export interface UsageTotals {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface UsageSummary {
  from: string;
  to: string;
  totals: UsageTotals;
  byFeature: Array<UsageTotals & { feature: string; repairs: number; failures: number; avgLatencyMs: number }>;
}

/**
 * `GET /v1/usage`: the ledger between `from` (inclusive) and `to` (exclusive), summed in total
 * and per entry point. One Query on the workspace's ledger partition.
 *
 * @example
 * const usage = await summarizeUsage(ws, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z");
 */
export async function summarizeUsage(workspaceId: string, from: string, to: string): Promise<UsageSummary> {
  const { data } = await db()
    .entities.llmUsage.query.byWorkspace({ workspaceId })
    .between({ at: from }, { at: to })
    .where((a, op) => op.lt(a.at, to))
    .go({ pages: "all" });
  const zero = (): UsageTotals => ({ calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 });
  const totals = zero();
  const features = new Map<string, UsageTotals & { repairs: number; failures: number; latency: number }>();
  for (const row of data) {
    const f = features.get(row.feature) ?? { ...zero(), repairs: 0, failures: 0, latency: 0 };
    for (const t of [totals, f]) {
      t.calls++;
      t.promptTokens += row.promptTokens;
      t.completionTokens += row.completionTokens;
      t.costUsd += row.costUsd ?? 0;
    }
    if (row.repair) f.repairs++;
    if (row.outcome !== "ok") f.failures++;
    f.latency += row.latencyMs ?? 0;
    features.set(row.feature, f);
  }
  const round = (n: number) => Math.round(n * 1e6) / 1e6;
  return {
    from,
    to,
    totals: { ...totals, costUsd: round(totals.costUsd) },
    byFeature: [...features.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([feature, f]) => ({
        feature,
        calls: f.calls,
        promptTokens: f.promptTokens,
        completionTokens: f.completionTokens,
        costUsd: round(f.costUsd),
        repairs: f.repairs,
        failures: f.failures,
        avgLatencyMs: Math.round(f.latency / Math.max(1, f.calls)),
      })),
  };
}
