import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { percentiles } from "../chaos/report";
import { measure } from "./api-latency";
import { DynamoCounter } from "./counting";

/**
 * `pnpm bench:metrics` (issue 9's benchmark sections, on their own):
 * 1. a metrics refresh of `--posts` (3,000) published posts over 30 accounts (10 per platform):
 *    wall time from the fan-out to the run's `finishedAt`, platform calls per post, DynamoDB
 *    writes (and reads) per post;
 * 2. `GET /v1/accounts/{id}/metrics?days=30` p99 under `--connections` for `--seconds`, next to
 *    the same DynamoDB reads made directly (GetItem workspace, GetItem account, Query of the
 *    daily roll-up) by the same number of loops.
 * Writes bench/results/<date>-metrics.json and .md. Not a test: nothing is asserted.
 */
async function main() {
  const { values } = parseArgs({
    options: {
      posts: { type: "string", default: "3000" },
      seconds: { type: "string", default: "10" },
      connections: { type: "string", default: "10" },
      out: { type: "string", default: "bench/results" },
    },
  });
  const totalPosts = Number(values.posts);
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  process.env.STUDIO_LOG_LEVEL ??= "WARN";
  process.env.STUDIO_DYNAMODB_JAVA_OPTS ??= "";
  process.env.STUDIO_RATE_LIMIT_PER_KEY ??= "0";
  process.env.STUDIO_RATE_LIMIT_PER_WORKSPACE ??= "0";
  process.env.SST_TELEMETRY_DISABLED = "1";
  for (const v of ["STUDIO_INSTAGRAM_API_URL", "STUDIO_FACEBOOK_API_URL", "STUDIO_TIKTOK_API_URL"])
    delete process.env[v];

  const { startRuntime } = await import("../runtime/runtime");
  const { setDynamo } = await import("@studio/core/db/client");
  const { db } = await import("@studio/core/db/service");
  const { seedPublished } = await import("../testing/published");
  const { connectRequest } = await import("../simulators/control");
  const log = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

  const rt = await startRuntime({ port: 0, pollers: ["metrics"], schedules: false, stage: "benchm" });
  const sims = rt.simulators!;
  sims.control.config({ graphCallsPerHourPerAccount: 100_000_000, graphAppCallsPerHour: 1_000_000_000 });
  const counter = new DynamoCounter();
  setDynamo(counter.client);
  const api = async <T>(method: string, path: string, body?: unknown, token = rt.adminToken): Promise<T> => {
    const res = await fetch(`${rt.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as T;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  // Seed: 30 accounts, posts spread over the last 30 days (so the roll-up has 30 days).
  const ws = await api<{ workspace: { id: string }; apiKey: string }>("POST", "/v1/workspaces", {
    name: "Bench metrics",
    timezone: "Europe/Paris",
  });
  const perAccount = Math.ceil(totalPosts / 30);
  const accounts: string[] = [];
  await counter.uncounted(async () => {
    for (const platform of ["instagram", "facebook", "tiktok"] as const) {
      for (let i = 0; i < 10; i++) {
        const acc = sims.control.registerAccount({ platform });
        const res = await api<{ id: string }>("POST", "/v1/accounts", connectRequest(acc), ws.apiKey);
        accounts.push(res.id);
        for (let d = 0; d < perAccount; d += 10)
          await seedPublished(sims.control, {
            workspaceId: ws.workspace.id,
            accountId: res.id,
            externalAccountId: acc.accountId,
            platform,
            count: Math.min(10, perAccount - d),
            publishedAgoMs: ((d / 10) % 29) * 86_400_000 + 3_600_000,
          });
      }
    }
  });
  const posts = perAccount * 30;
  log(`seeded ${posts} published posts on 30 accounts`);

  // 1. The refresh.
  counter.reset();
  const callsBefore = sims.control.calls().length;
  const started = performance.now();
  const { runId } = await api<{ runId: string }>("POST", "/v1/ops/schedules/metricsRefresh/run");
  let run: { finishedAt: string | null; status: string; counts: Record<string, number> } | undefined;
  for (;;) {
    const { items } = await counter.uncounted(() =>
      api<{ items: Array<typeof run & { id: string }> }>("GET", "/v1/ops/jobs?kind=metricsRefresh&limit=3"),
    );
    run = items.find((r) => r?.id === runId);
    if (run?.finishedAt) break;
    await sleep(200);
  }
  const wallMs = performance.now() - started;
  const platformCalls = sims.control.calls().length - callsBefore;
  const refresh = {
    posts,
    accounts: 30,
    status: run.status,
    wallSeconds: Math.round(wallMs / 100) / 10,
    postsPerSecond: Math.round(posts / (wallMs / 1000)),
    platformCallsPerPost: Math.round((platformCalls / posts) * 100) / 100,
    dynamoWritesPerPost: Math.round((counter.counts.writes / posts) * 100) / 100,
    dynamoReadsPerPost: Math.round((counter.counts.reads / posts) * 100) / 100,
    byCommand: counter.counts.byCommand,
    runCounts: run.counts,
  };
  log(`refresh: ${JSON.stringify(refresh)}`);

  // 2. The account summary route vs the same reads made directly.
  const accountId = accounts[0]!;
  const route = await measure({
    name: "GET /v1/accounts/{id}/metrics?days=30",
    url: `${rt.apiUrl}/v1/accounts/${accountId}/metrics?days=30`,
    token: ws.apiKey,
    seconds,
    connections,
  });
  const raw = DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 4 }));
  const getWorkspace = db().entities.workspace.get({ id: ws.workspace.id }).params() as Record<string, unknown>;
  const getAccount = db().entities.account.get({ id: accountId }).params() as Record<string, unknown>;
  const rollup = db()
    .entities.accountMetricsDay.query.byAccount({ accountId })
    .between({ date: "2000-01-01" }, { date: "2999-12-31" })
    .params() as Record<string, unknown>;
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        await Promise.all([
          raw.send(new GetCommand(getWorkspace as never)),
          raw.send(new GetCommand(getAccount as never)),
        ]);
        await raw.send(new QueryCommand(rollup as never));
        latencies.push(performance.now() - t);
      }
    }),
  );
  const p = percentiles(latencies);
  const direct = { p50Ms: Math.round(p.p50), p99Ms: Math.round(p.p99), requests: latencies.length };
  const summary = { route, direct, p99VsDirect: Math.round((route.p99Ms / Math.max(1, direct.p99Ms)) * 10) / 10 };
  log(`account summary: ${JSON.stringify(summary)}`);

  const date = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  const results = { date, machine: { cores: cpus().length, cpu: cpus()[0]?.model }, refresh, summary };
  await mkdir(values.out as string, { recursive: true });
  await writeFile(`${values.out}/${date}-metrics.json`, `${JSON.stringify(results, null, 2)}\n`);
  const md = [
    `# Metrics benchmark (${date}, ${results.machine.cores} cores, ${results.machine.cpu})`,
    "",
    "| figure | measured |",
    "|---|---|",
    `| metrics refresh of ${posts} published posts (30 accounts) | ${refresh.wallSeconds} s wall, ${refresh.postsPerSecond} posts/s, run ${refresh.status} |`,
    `| platform calls per post | ${refresh.platformCallsPerPost} (Instagram/Facebook 1 per post, TikTok 1 per 10) |`,
    `| DynamoDB writes per post | ${refresh.dynamoWritesPerPost} (reads ${refresh.dynamoReadsPerPost}) |`,
    `| \`GET /v1/accounts/{id}/metrics?days=30\` | p50 ${route.p50Ms} ms, p99 ${route.p99Ms} ms, ${route.reqPerSec} req/s (${connections} connections) |`,
    `| the same reads, direct (2 GetItem + 1 Query of the roll-up) | p50 ${direct.p50Ms} ms, p99 ${direct.p99Ms} ms |`,
    "",
  ].join("\n");
  await writeFile(`${values.out}/${date}-metrics.md`, md);
  console.log(md);
  await rt.stop();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
