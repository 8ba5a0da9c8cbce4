import { AsyncLocalStorage } from "node:async_hooks";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { InvokeStore, InvokeStoreBase } from "@aws/lambda-invoke-store";

/** The repository root: handler paths in config/jobs.ts are relative to it, as SST reads them. */
export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: a Lambda handler's event and result are whatever its trigger says.
export type LambdaHandler = (event: any, context: LambdaContext) => Promise<any>;

export interface LambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
  done(): void;
  fail(): void;
  succeed(): void;
}

/**
 * Loads a handler named the way SST names it: `packages/functions/src/queue/publish.handler`
 * → the module `packages/functions/src/queue/publish.ts`, its export `handler`. The path is
 * relative to the repo root (or absolute). The same module the Lambda bundle would contain.
 *
 * @example
 * const fn = await loadHandler("packages/functions/src/cron/publish-dispatcher.handler");
 */
export async function loadHandler(spec: string): Promise<LambdaHandler> {
  const dot = spec.lastIndexOf(".");
  if (dot <= 0) throw new Error(`handler "${spec}" must look like path/to/module.export`);
  const modulePath = spec.slice(0, dot);
  const exportName = spec.slice(dot + 1);
  const file = `${isAbsolute(modulePath) ? modulePath : resolve(repoRoot, modulePath)}.ts`;
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== "function") throw new Error(`handler "${spec}": ${file} has no function export "${exportName}"`);
  return fn as LambdaHandler;
}

/** A Lambda-like context whose remaining time counts down from the function's timeout. */
export function lambdaContext(functionName: string, timeoutSeconds: number, requestId: string): LambdaContext {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const region = process.env.AWS_REGION ?? "us-east-1";
  return {
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: "1024",
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${requestId}`,
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export class FunctionTimeoutError extends Error {
  constructor(
    readonly functionName: string,
    readonly timeoutSeconds: number,
  ) {
    super(`${functionName} timed out after ${timeoutSeconds} s`);
    this.name = "FunctionTimeoutError";
  }
}

/**
 * Runs `work` with the function's timeout, as Lambda does: past the deadline the invocation
 * counts as failed (the promise keeps running in the background, which Lambda would freeze;
 * the handlers are built to be re-entered, so a late finish is harmless).
 */
export async function withTimeout<T>(functionName: string, timeoutSeconds: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FunctionTimeoutError(functionName, timeoutSeconds)), timeoutSeconds * 1000);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

let invokeStore: Promise<InvokeStoreBase> | undefined;

/**
 * Lambda runs one invocation per execution environment, so handler modules may keep
 * per-invocation state at module level (Powertools' `BatchProcessor` does). Locally many
 * invocations share one process, so each runs in its own invocation context, exactly as Lambda
 * does for multi-concurrency environments: `AWS_LAMBDA_MAX_CONCURRENCY` set and the
 * AsyncLocalStorage-backed `InvokeStore` that Powertools reads per invocation.
 * (Consequence: in a process running the runtime, call handlers through `invokeHandler`.)
 */
function lambdaInvokeStore(): Promise<InvokeStoreBase> {
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= "1000";
  invokeStore ??= InvokeStore.getInstanceAsync(true).then(ensureMulti).then(withSharedFallback);
  return invokeStore;
}

type StoreContext = Record<string | symbol, unknown>;

/** Lambda's multi-concurrency store: one AsyncLocalStorage context per invocation. */
class AlsInvokeStore extends InvokeStoreBase {
  readonly als = new AsyncLocalStorage<StoreContext>();
  getContext() {
    return this.als.getStore();
  }
  hasContext() {
    return this.als.getStore() !== undefined;
  }
  get<T>(key: string | symbol) {
    return this.als.getStore()?.[key] as T | undefined;
  }
  set<T>(key: string | symbol, value: T) {
    if (this.isProtectedKey(key)) throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    const store = this.als.getStore();
    if (!store) throw new Error("No context available");
    store[key] = value;
  }
  run<T>(context: StoreContext, fn: () => T): T {
    return this.als.run(context, fn);
  }
}

/**
 * The package keeps ONE store per process, created by whoever asks first: the AWS SDK does (for
 * trace ids) as soon as a client runs, usually before AWS_LAMBDA_MAX_CONCURRENCY is set here. It
 * then is the single-concurrency store, whose `run` overwrites one global context: concurrent
 * batches clobbered each other's Powertools state (a record reported failed came back as done,
 * so a publish retry's message was deleted). Install an AsyncLocalStorage store instead; the
 * global is what Powertools reads on every call.
 */
function ensureMulti(store: InvokeStoreBase): InvokeStoreBase {
  if (store instanceof AlsInvokeStore || "als" in store) return store;
  const multi = new AlsInvokeStore();
  globalThis.awslambda = globalThis.awslambda ?? ({} as typeof globalThis.awslambda);
  globalThis.awslambda.InvokeStore = multi;
  return multi;
}

/**
 * Outside any invocation (a script or test calling a handler directly in the runtime's
 * process), the multi-concurrency store would throw "No context available"; there it behaves
 * like Lambda's single-concurrency store instead: one shared context.
 */
function withSharedFallback(store: InvokeStoreBase): InvokeStoreBase {
  const shared: Record<string | symbol, unknown> = {};
  const get = store.get.bind(store);
  const set = store.set.bind(store);
  store.get = <T>(key: string | symbol) => (store.hasContext() ? get<T>(key) : (shared[key] as T | undefined));
  store.set = <T>(key: string | symbol, value: T) => {
    if (store.hasContext()) set(key, value);
    else shared[key] = value;
  };
  return store;
}

/**
 * Invokes a handler as Lambda would: in its own invocation context (request id), with the
 * function's timeout enforced (past it the invocation fails; see `withTimeout`).
 *
 * @example
 * await invokeHandler(handler, event, lambdaContext("studio-publish", 30, requestId), 30);
 */
export async function invokeHandler<T>(
  handler: LambdaHandler,
  event: unknown,
  context: LambdaContext,
  timeoutSeconds: number,
): Promise<T> {
  const store = await lambdaInvokeStore();
  const ctx = { [Symbol.for("_AWS_LAMBDA_REQUEST_ID")]: context.awsRequestId };
  return withTimeout(
    context.functionName,
    timeoutSeconds,
    store.run(ctx, () => Promise.resolve().then(() => handler(event, context))),
  );
}
