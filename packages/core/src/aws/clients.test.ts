import { afterEach, describe, expect, it } from "vitest";
import { withAbortSignal } from "../util/abort-scope";
import { awsClientConfig, honourAbortScope } from "./clients";

/** A client whose HTTP handler records the options each request was sent with. */
function recordingClient() {
  const seen: Array<{ abortSignal?: unknown }> = [];
  const client = {
    config: {
      requestHandler: {
        handle: async (_req: unknown, o: { abortSignal?: unknown } = {}) => {
          seen.push(o);
          return {};
        },
      },
    },
  };
  const send = (o?: { abortSignal?: unknown }) =>
    (client.config.requestHandler as { handle: (r: unknown, o?: unknown) => Promise<unknown> }).handle({}, o);
  return { client: honourAbortScope(client), seen, send };
}

describe("AWS clients", () => {
  afterEach(() => {
    delete process.env.STUDIO_AWS_REQUEST_TIMEOUT_MS;
    delete process.env.STUDIO_AWS_MAX_ATTEMPTS;
  });

  it("times requests out by themselves (an error, not a warning) and caps the attempts", () => {
    expect(awsClientConfig()).toEqual({
      maxAttempts: 4,
      requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
    });
    process.env.STUDIO_AWS_REQUEST_TIMEOUT_MS = "750";
    process.env.STUDIO_AWS_MAX_ATTEMPTS = "junk";
    expect(awsClientConfig()).toMatchObject({ maxAttempts: 4, requestHandler: { requestTimeout: 750 } });
  });

  it("adds the abort signal in scope to every request, and only inside the scope", async () => {
    const { seen, send } = recordingClient();
    await send();
    const budget = new AbortController();
    await withAbortSignal(budget.signal, () => send());
    expect(seen[0]?.abortSignal).toBeUndefined();
    expect(seen[1]?.abortSignal).toBe(budget.signal);
  });

  it("keeps the caller's own signal: either one aborts the request", async () => {
    const { seen, send } = recordingClient();
    const own = new AbortController();
    const budget = new AbortController();
    await withAbortSignal(budget.signal, () => send({ abortSignal: own.signal }));
    const combined = seen[0]!.abortSignal as AbortSignal;
    expect(combined.aborted).toBe(false);
    budget.abort();
    expect(combined.aborted).toBe(true);
  });

  it("nests: an inner scope ends with the outer one too", async () => {
    const { seen, send } = recordingClient();
    const outer = new AbortController();
    await withAbortSignal(outer.signal, () => withAbortSignal(new AbortController().signal, () => send()));
    outer.abort();
    expect((seen[0]!.abortSignal as AbortSignal).aborted).toBe(true);
  });
});
