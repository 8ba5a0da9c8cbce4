import { llmDemoStep } from "./demo-llm";
import { metricsDemoSteps } from "./demo-metrics";
import { type DemoAccount, type PublishDemoResult, runPublishDemo } from "./demo-publish";
import type { Runtime } from "./runtime/runtime";
import { connectRequest } from "./simulators/control";

type Print = (line: string) => void;

export interface DemoContext {
  rt: Runtime;
  print: Print;
  /** The demo workspace's owner key, once step "workspace" ran. */
  apiKey?: string;
  workspaceId?: string;
  /** Studio account ids by platform, once step "accounts" ran. */
  accounts: Partial<Record<"instagram" | "facebook" | "tiktok", string>>;
  /** The same accounts with their platform (simulator) ids, for fault injection and counts. */
  platformAccounts: Partial<Record<"instagram" | "facebook" | "tiktok", DemoAccount>>;
  /** The publish walk's outcome, once step "publish" ran. */
  publish?: PublishDemoResult;
}

export interface DemoStep {
  name: string;
  run(ctx: DemoContext): Promise<void>;
}

/**
 * `pnpm start` (main.ts --demo): walks a fresh runtime through Studio over its HTTP API, the
 * way a client would. Steps are a list so later work can append its own (e.g. schedule a post
 * per platform and wait until it is `published`). A route that does not exist yet is reported,
 * not fatal.
 *
 * @example
 * const ctx = await runDemo(rt);
 */
export async function runDemo(
  rt: Runtime,
  print: Print = console.log,
  steps: DemoStep[] = demoSteps,
): Promise<DemoContext> {
  if (!rt.apiUrl) throw new Error("the demo needs the API: it is not served");
  const ctx: DemoContext = { rt, print, accounts: {}, platformAccounts: {} };
  for (const step of steps) {
    print(`\n── demo: ${step.name}`);
    await step.run(ctx);
  }
  return ctx;
}

/** The demo's steps, in order. Append to extend the demo. */
export const demoSteps: DemoStep[] = [
  {
    name: "health",
    run: async (ctx) => {
      const res = await call(ctx, "GET", "/health");
      ctx.print(`GET /health → ${res.status} ${JSON.stringify(res.body)}`);
    },
  },
  {
    name: "workspace",
    run: async (ctx) => {
      const res = await call(ctx, "POST", "/v1/workspaces", {
        token: ctx.rt.adminToken,
        body: { name: "Demo studio", timezone: "Europe/Berlin" },
      });
      ctx.print(`POST /v1/workspaces → ${res.status}`);
      const body = res.body as { workspace?: { id?: string }; apiKey?: string } | undefined;
      if (res.status !== 201 || !body?.apiKey) return ctx.print(`  (no workspace: ${JSON.stringify(res.body)})`);
      ctx.apiKey = body.apiKey;
      ctx.workspaceId = body.workspace?.id;
      ctx.print(`  workspace ${ctx.workspaceId}, owner key ${body.apiKey.slice(0, 6)}… (kept by the demo)`);
    },
  },
  {
    name: "accounts",
    run: async (ctx) => {
      const sims = ctx.rt.simulators;
      if (!ctx.apiKey) return ctx.print("  (skipped: no workspace)");
      if (!sims) return ctx.print("  (skipped: platforms are external; connect accounts yourself)");
      for (const platform of ["instagram", "facebook", "tiktok"] as const) {
        const acc = sims.control.registerAccount({ platform, handle: `demo_${platform}` });
        const res = await call(ctx, "POST", "/v1/accounts", {
          token: ctx.apiKey,
          body: connectRequest(acc),
        });
        const id = (res.body as { id?: string } | undefined)?.id;
        if (res.status === 201 && id) {
          ctx.accounts[platform] = id;
          ctx.platformAccounts[platform] = { id, externalAccountId: acc.accountId, handle: acc.handle };
        }
        ctx.print(`POST /v1/accounts (${platform}) → ${res.status}${id ? ` ${id}` : ` ${JSON.stringify(res.body)}`}`);
      }
      const list = await call(ctx, "GET", "/v1/accounts", { token: ctx.apiKey });
      ctx.print(`GET /v1/accounts → ${list.status}`);
      const items = (list.body as { items?: Array<Record<string, unknown>> } | undefined)?.items ?? [];
      for (const a of items) ctx.print(`  ${a.platform} @${a.handle} ${a.status} (${a.id})`);
    },
  },
  {
    name: "publish (draft → scheduled → published, through SQS and the simulators)",
    run: async (ctx) => {
      const sims = ctx.rt.simulators;
      if (!ctx.apiKey) return ctx.print("  (skipped: no workspace)");
      if (!sims) return ctx.print("  (skipped: platforms are external)");
      if (!ctx.rt.pollers.publish) return ctx.print("  (skipped: the publish queue is not polled)");
      ctx.publish = await runPublishDemo({
        api: (method, path, opts) => call(ctx, method, path, opts),
        key: ctx.apiKey,
        sims,
        accounts: ctx.platformAccounts,
        print: ctx.print,
        dispatcherRuns: () => ctx.rt.scheduler?.fireCounts.publishDispatcher ?? 0,
      });
    },
  },
  ...metricsDemoSteps,
  llmDemoStep,
  {
    name: "queues",
    run: async (ctx) => {
      const res = await call(ctx, "GET", "/v1/ops/queues", { token: ctx.rt.adminToken });
      ctx.print(`GET /v1/ops/queues → ${res.status}`);
      ctx.print(JSON.stringify(res.body, null, 2));
    },
  },
];

/** One API call; never throws for an HTTP status (a missing route is a 404 to report). */
async function call(
  ctx: DemoContext,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown } = {},
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${ctx.rt.apiUrl}${path}`, {
    method,
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.body ? { "content-type": "application/json" } : {}),
    },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}
