import OpenAI from "openai";

let cached: { apiKey: string; baseURL: string | undefined; client: OpenAI } | undefined;

/**
 * The official `openai` client, the only way Studio reaches a model. It reads `OPENAI_API_KEY`
 * (a secret in AWS) and `OPENAI_BASE_URL` (locally: the offline model, when no key is set).
 * Timeouts and retries are set per call by the entry point (config/llm.ts), never the SDK's
 * defaults (10 minutes, 2 retries). Rebuilt when either variable changes (tests).
 */
export function openai(): OpenAI {
  // Without a key the SDK refuses to start; a request without one is answered 401 by OpenAI
  // (mapped to llm.unavailable), and the offline model takes any key.
  const apiKey = process.env.OPENAI_API_KEY || "no-key-configured";
  const baseURL = process.env.OPENAI_BASE_URL || undefined;
  if (!cached || cached.apiKey !== apiKey || cached.baseURL !== baseURL) {
    cached = { apiKey, baseURL, client: new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: 30_000 }) };
  }
  return cached.client;
}

/**
 * The same client, counting HTTP attempts (the SDK's own retries included) in `counter.attempts`,
 * so the ledger shows every request a call made, not only the one that answered.
 */
export function countingClient(counter: { attempts: number }): OpenAI {
  return openai().withOptions({
    fetch: (url: string | URL | Request, init?: RequestInit) => {
      counter.attempts++;
      return fetch(url, init);
    },
  });
}
