import { LogFormatter, Logger, LogItem } from "@aws-lambda-powertools/logger";
import type { LogAttributes, UnformattedAttributes } from "@aws-lambda-powertools/logger/types";

const SECRET_KEYS = /token|secret|password|authorization|api_?key|client_?secret|cookie/i;
const MAX_DEPTH = 12;

/**
 * Redacts secrets from strings and (deeply) from objects, arrays and errors: values under
 * token-named keys, `access_token=`-style query values, bearer tokens, Studio API keys and the
 * admin token. Returns a copy; the input is never mutated.
 *
 * @example
 * redact({ url: "https://x/me?access_token=abc", accessToken: "abc" });
 * // { url: "https://x/me?access_token=[redacted]", accessToken: "[redacted]" }
 */
export function redact<T>(value: T): T {
  return redactDeep(value, 0, new WeakSet()) as T;
}

function redactDeep(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === "string") return redactString(value);
  if (!value || typeof value !== "object") return value;
  if (depth > MAX_DEPTH || seen.has(value)) return "[truncated]";
  seen.add(value);
  if (value instanceof Error) return redactError(value, depth, seen);
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // Numbers and booleans under a secret-sounding name are counts and flags (`promptTokens`,
    // `tokenVersion`), never secrets: secrets are strings.
    const secret =
      SECRET_KEYS.test(k) && v !== undefined && v !== null && typeof v !== "number" && typeof v !== "boolean";
    out[k] = secret ? "[redacted]" : redactDeep(v, depth + 1, seen);
  }
  return out;
}

/** An error as a plain object, every string redacted (the stack repeats the message). */
function redactError(err: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const { name, message, stack, cause, ...rest } = err as Error & Record<string, unknown>;
  const out: Record<string, unknown> = { name, message: redactString(message) };
  if (typeof stack === "string") out.stack = redactString(stack);
  if (cause !== undefined) out.cause = redactDeep(cause, depth + 1, seen);
  for (const [k, v] of Object.entries(rest)) {
    out[k] = SECRET_KEYS.test(k) ? "[redacted]" : redactDeep(v, depth + 1, seen);
  }
  return out;
}

/** Redacts secrets inside free text (error messages, URLs, echoed platform answers). */
export function redactString(s: string): string {
  let out = s
    // Query strings and form bodies: `?access_token=…&code=…`.
    .replace(
      /\b((?:access|refresh|id)_token|client_secret|fb_exchange_token|code|api_?key|token)=[^&\s"'<>]+/gi,
      "$1=[redacted]",
    )
    // JSON echoed inside a message: `"access_token":"…"`, `"refreshToken": "…"`.
    .replace(/("(?:access|refresh|id)_?token"\s*:\s*")[^"]*"/gi, '$1[redacted]"')
    .replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/gi, "Bearer [redacted]")
    .replace(/\b(sk|adm)_[A-Za-z0-9_-]{16,}/g, "$1_[redacted]");
  const admin = process.env.STUDIO_ADMIN_TOKEN;
  if (admin && admin.length >= 8 && out.includes(admin)) out = out.split(admin).join("[redacted]");
  return out;
}

/**
 * Powertools' standard JSON shape, with the whole attribute tree (message, extra keys, errors
 * and their causes) passed through `redact` before it is printed: no call site can forget.
 */
export class RedactingLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const base: LogAttributes = {
      level: attributes.logLevel,
      message: attributes.message,
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      cold_start: attributes.lambdaContext?.coldStart,
      function_arn: attributes.lambdaContext?.invokedFunctionArn,
      function_memory_size: attributes.lambdaContext?.memoryLimitInMB,
      function_name: attributes.lambdaContext?.functionName,
      function_request_id: attributes.lambdaContext?.awsRequestId,
      sampling_rate: attributes.sampleRateValue,
      xray_trace_id: attributes.xRayTraceId,
    };
    return new LogItem({ attributes: redact({ ...base, ...additional }) as LogAttributes });
  }
}

/**
 * The log level: `STUDIO_LOG_LEVEL` (or Powertools' `POWERTOOLS_LOG_LEVEL`) when set; otherwise
 * INFO in AWS Lambda (CloudWatch keeps every request and job line) and WARN everywhere else —
 * the demo, `pnpm dev`, the tests, the chaos run — so a newcomer reads the demo's story and a
 * failing test's output, not thousands of request lines. `STUDIO_LOG_LEVEL=INFO pnpm start`
 * brings them back.
 */
export function defaultLogLevel(env: NodeJS.ProcessEnv = process.env): string {
  return env.STUDIO_LOG_LEVEL ?? env.POWERTOOLS_LOG_LEVEL ?? (env.AWS_LAMBDA_FUNCTION_NAME ? "INFO" : "WARN");
}

/**
 * Structured JSON logs (Powertools Logger). Secrets never reach a log line: every line goes
 * through `RedactingLogFormatter`. Level: `defaultLogLevel()`.
 */
export const logger = new Logger({
  serviceName: "studio",
  logLevel: defaultLogLevel() as "INFO",
  logFormatter: new RedactingLogFormatter(),
});
