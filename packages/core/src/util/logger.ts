import { Logger } from "@aws-lambda-powertools/logger";

/**
 * Structured JSON logs (Powertools Logger). Secrets never reach a log line: every message and
 * attribute passes through `redact`, which removes bearer tokens, `access_token=` query values,
 * token-named fields and API keys.
 */
export const logger = new Logger({
  serviceName: "studio",
  logLevel: (process.env.STUDIO_LOG_LEVEL ?? process.env.POWERTOOLS_LOG_LEVEL ?? "INFO") as "INFO",
});

const SECRET_KEYS = /token|secret|password|authorization|api_?key|client_?secret/i;

/** Redacts secrets from strings and (deeply) from objects. */
export function redact<T>(value: T): T {
  if (typeof value === "string") return redactString(value) as T;
  if (Array.isArray(value)) return value.map((v) => redact(v)) as T;
  if (value instanceof Error) return redactString(value.message) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? "[redacted]" : redact(v);
    return out as T;
  }
  return value;
}

export function redactString(s: string): string {
  return s
    .replace(/(access_token|refresh_token|client_secret|fb_exchange_token)=[^&\s"']+/gi, "$1=[redacted]")
    .replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/g, "Bearer [redacted]")
    .replace(/\b(sk|adm)_[A-Za-z0-9_-]{16,}/g, "$1_[redacted]");
}
