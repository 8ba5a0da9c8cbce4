import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The abort signal of the work in progress (a queue record's time budget), carried with the
 * async context so that every AWS call made on its behalf — deep in transitions, token
 * refreshes, evidence queries — ends when the record's budget ends, without threading a signal
 * through every function. The AWS clients read it (aws/clients.ts).
 */
const scope = new AsyncLocalStorage<AbortSignal>();

/**
 * Runs `work` with `signal` in scope (combined with an outer scope's signal, if any).
 *
 * @example
 * await withAbortSignal(budget.signal, () => handle(message));
 */
export function withAbortSignal<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  const outer = scope.getStore();
  return scope.run(outer ? AbortSignal.any([outer, signal]) : signal, work);
}

/** The signal in scope, if any. */
export function currentAbortSignal(): AbortSignal | undefined {
  return scope.getStore();
}

/**
 * True for the error an aborted request surfaces with, as the AWS SDK (`AbortError`) or ElectroDB
 * (`OperationAborted`, "The operation was aborted") report it.
 */
export function isAbortError(err: unknown): boolean {
  const e = err as { name?: string; code?: string; message?: string; cause?: { name?: string } } | undefined;
  return (
    e?.name === "AbortError" ||
    e?.cause?.name === "AbortError" ||
    (typeof e?.message === "string" && /operation was aborted|request aborted/i.test(e.message))
  );
}
