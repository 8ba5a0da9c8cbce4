import { currentAbortSignal } from "../util/abort-scope";

/**
 * How Studio's AWS clients (DynamoDB, SQS) talk to AWS: a connection that does not open within
 * `connectionTimeoutMs`, or a request not answered within `requestTimeoutMs`, fails (and is
 * retried by the SDK, `maxAttempts` in all) — one hung connection never holds an invocation
 * until its own timeout. Within a queue record's time budget, requests also end with the
 * budget (the abort signal in scope, util/abort-scope.ts).
 *
 * Read on each client build: `STUDIO_AWS_CONNECT_TIMEOUT_MS`, `STUDIO_AWS_REQUEST_TIMEOUT_MS`,
 * `STUDIO_AWS_MAX_ATTEMPTS` (DynamoDB Local on a loaded machine may want more than AWS needs).
 */
export function awsClientTiming() {
  return {
    connectionTimeoutMs: positive("STUDIO_AWS_CONNECT_TIMEOUT_MS", 2_000),
    requestTimeoutMs: positive("STUDIO_AWS_REQUEST_TIMEOUT_MS", 5_000),
    maxAttempts: positive("STUDIO_AWS_MAX_ATTEMPTS", 4),
  };
}

/**
 * The client settings: timeouts on the SDK's Node HTTP handler (given as its options, the SDK
 * builds the handler). `throwOnRequestTimeout`: since @smithy/node-http-handler 4.4 a request
 * past `requestTimeout` only logs a warning unless this is set.
 *
 * @example
 * const client = honourAbortScope(new SQSClient({ ...awsClientConfig(), useQueueUrlAsEndpoint: false }));
 */
export function awsClientConfig() {
  const t = awsClientTiming();
  return {
    maxAttempts: t.maxAttempts,
    requestHandler: {
      connectionTimeout: t.connectionTimeoutMs,
      requestTimeout: t.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}

interface HandlerOptions {
  abortSignal?: unknown;
}
interface WithHandler {
  config: { requestHandler: unknown };
}

/**
 * Makes every request of `client` end when the abort signal in scope aborts (as well as with the
 * caller's own signal, if it gave one). The SDK passes `send(cmd, { abortSignal })` down to its
 * HTTP handler, which destroys the socket on abort; this adds the scope's signal there, for
 * every command of the client (and of a DynamoDBDocumentClient built from it, which shares its
 * handler). Returns the same client.
 */
export function honourAbortScope<C extends WithHandler>(client: C): C {
  const handler = client.config.requestHandler as { handle: (req: unknown, o?: HandlerOptions) => Promise<unknown> };
  const handle = handler.handle.bind(handler);
  handler.handle = (request, options = {}) => {
    const scoped = currentAbortSignal();
    if (!scoped) return handle(request, options);
    const own = options.abortSignal;
    const abortSignal = own instanceof AbortSignal ? AbortSignal.any([own, scoped]) : (own ?? scoped);
    return handle(request, { ...options, abortSignal });
  };
  return client;
}

function positive(name: string, fallback: number): number {
  const n = Number(process.env[name]);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}
