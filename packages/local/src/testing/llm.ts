import type { OfflineModel } from "../offline-model/index";
import { startTestStudio, type TestStudio } from "./studio";

/**
 * A test Studio for the LLM features: the local runtime with the `llm` poller, the offline model
 * (no OPENAI_API_KEY), short LLM timeouts and retry delays through configuration (a "slow" or
 * "timeout" fault costs about a second, not a minute), and an HTTP helper that sends headers
 * (Idempotency-Key, Prefer) and returns them.
 */
export interface LlmStudio extends TestStudio {
  model: OfflineModel;
  http<T = Record<string, unknown>>(
    method: string,
    path: string,
    opts?: { key?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: T; headers: Headers }>;
  /** Polls a generating resource until it is no longer `generating`. */
  settle<T extends { status: string }>(key: string, path: string, timeoutMs?: number): Promise<T>;
}

export async function startLlmStudio(): Promise<LlmStudio> {
  delete process.env.OPENAI_API_KEY;
  delete process.env.OPENAI_BASE_URL;
  process.env.STUDIO_LLM_TIMEOUT_MS = "1000";
  process.env.STUDIO_LLM_MAX_RETRIES = "1";
  process.env.STUDIO_LLM_RETRY_AFTER_SECONDS = "1";
  const studio = await startTestStudio({ pollers: ["llm"], schedules: false });
  const model = studio.runtime.offlineModel;
  if (!model) throw new Error("the offline model did not start");
  const http: LlmStudio["http"] = async (method, path, opts = {}) => {
    const res = await fetch(`${studio.runtime.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${opts.key ?? studio.runtime.adminToken}`,
        "content-type": "application/json",
        ...opts.headers,
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as never, headers: res.headers };
  };
  const settle: LlmStudio["settle"] = async (key, path, timeoutMs = 30_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const res = await http<{ status: string }>("GET", path, { key });
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      if (res.body.status !== "generating") return res.body as never;
      if (Date.now() > until) throw new Error(`${path} still generating after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 150));
    }
  };
  return {
    ...studio,
    model,
    http,
    settle,
    stop: async () => {
      await studio.stop();
      for (const v of ["STUDIO_LLM_TIMEOUT_MS", "STUDIO_LLM_MAX_RETRIES", "STUDIO_LLM_RETRY_AFTER_SECONDS"]) {
        delete process.env[v];
      }
    },
  };
}
