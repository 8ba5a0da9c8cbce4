import { db } from "@studio/core/db/service";
import type { Hono } from "hono";
import { type ApiFigure, measure } from "./api-latency";
import type { DynamoCounter } from "./counting";
import { seedScheduled } from "./seed";

/**
 * Issue 8's benchmark sections, runnable on their own (`pnpm bench --only get-post` /
 * `--only list`):
 * - `get-post`: `GET /v1/posts/{id}` next to a route of the same server that makes the same
 *   single GetItem directly (no auth, no rate limit, no view mapping): the honest baseline. Key
 *   lookups cached (the default), then without the cache, then with the per-key limiter on.
 * - `list`: filtered lists over a workspace of 10,000 posts, and another workspace's account id
 *   next to an unknown one.
 */
export interface LimitsContext {
  base: string;
  seconds: number;
  counter: DynamoCounter;
  workspace: (name: string) => Promise<{ id: string; key: string }>;
  connect: (
    key: string,
    platform: "facebook",
    tag: string,
  ) => Promise<{ id: string; platform: "instagram" | "facebook" | "tiktok" }>;
  api: <T>(method: string, path: string, body?: unknown, token?: string) => Promise<T>;
  log: (s: string) => void;
}

/** The baseline route: the GetItem of `GET /v1/posts/{id}`, straight, on the same server. */
export function addGetItemRoute(wrapper: Hono) {
  wrapper.get("/bench/post-getitem/:id", async (c) => {
    const { data } = await db()
      .entities.post.get({ id: c.req.param("id") })
      .go();
    return data ? c.json(data) : c.json({ error: "absent" }, 404);
  });
}

/**
 * Runs `fn` (an autocannon run), then measures the route's DynamoDB reads per request exactly:
 * 20 sequential requests through the counting client, nothing else in flight.
 */
async function withReads(counter: DynamoCounter, url: string, token: string | undefined, fn: () => Promise<ApiFigure>) {
  const f = await fn();
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  await fetch(url, { headers }); // a first request may fill the key cache; not counted
  counter.reset();
  for (let i = 0; i < 20; i++) await (await fetch(url, { headers })).arrayBuffer();
  return { ...f, readsPerRequest: Math.round((counter.counts.reads / 20) * 100) / 100 };
}

function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return fn().finally(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

export async function getPostSection(ctx: LimitsContext) {
  const ws = await ctx.workspace("bench get-post");
  const acct = await ctx.connect(ws.key, "facebook", "get-post");
  const post = await ctx.api<{ id: string }>(
    "POST",
    "/v1/posts",
    { accountId: acct.id, caption: "p", media: [] },
    ws.key,
  );
  const run = (name: string, path: string, token?: string) =>
    withReads(ctx.counter, `${ctx.base}${path}`, token, () =>
      measure({ name, url: `${ctx.base}${path}`, seconds: ctx.seconds, connections: 10, token }),
    );
  ctx.log(
    "get-post: GET /v1/posts/{id} next to the same GetItem made directly by a route (autocannon, 10 connections)…",
  );
  await run("warm-up", `/v1/posts/${post.id}`, ws.key);
  await run("warm-up", `/bench/post-getitem/${post.id}`);
  const baseline = await run(
    "GET /bench/post-getitem/{id} (the same GetItem, direct)",
    `/bench/post-getitem/${post.id}`,
  );
  const cached = await withEnv({ STUDIO_RATE_LIMIT_PER_KEY: "0" }, () =>
    run("GET /v1/posts/{id}, key lookup cached (rate limit off)", `/v1/posts/${post.id}`, ws.key),
  );
  const limited = await withEnv(
    { STUDIO_RATE_LIMIT_PER_KEY: "100000000", STUDIO_RATE_LIMIT_PER_WORKSPACE: "100000000" },
    () => run("GET /v1/posts/{id}, key cached, rate limiter on", `/v1/posts/${post.id}`, ws.key),
  );
  const uncached = await withEnv({ STUDIO_RATE_LIMIT_PER_KEY: "0", STUDIO_KEY_CACHE_SECONDS: "0" }, () =>
    run("GET /v1/posts/{id}, no key cache (rate limit off)", `/v1/posts/${post.id}`, ws.key),
  );
  const figures = [baseline, cached, limited, uncached].map((f) => ({
    ...f,
    p99VsBaseline: Math.round((f.p99Ms / Math.max(1, baseline.p99Ms)) * 100) / 100,
  }));
  for (const f of figures)
    ctx.log(`  ${f.route}: p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, ${f.reqPerSec} req/s, ${f.readsPerRequest} reads/req`);
  return figures;
}

export async function listSection(ctx: LimitsContext, posts = 10_000) {
  const ws = await ctx.workspace("bench list");
  const acct = await ctx.connect(ws.key, "facebook", "list");
  const stranger = await ctx.workspace("bench list stranger");
  ctx.log(`list: writing ${posts} scheduled posts into one workspace…`);
  const start = Date.now() + 7 * 86_400_000;
  await ctx.counter.uncounted(() =>
    seedScheduled(
      ws.id,
      [acct],
      posts,
      (i) => start + i * 60_000,
      () => [],
      "list",
    ),
  );
  const q = (path: string) => `${ctx.base}${path}`;
  const run = (name: string, path: string, token = ws.key) =>
    withReads(ctx.counter, q(path), token, () =>
      measure({ name, url: q(path), seconds: ctx.seconds, connections: 10, token }),
    );
  await withEnv({ STUDIO_RATE_LIMIT_PER_KEY: "0" }, async () => {
    await run("warm-up", "/v1/posts?status=published&limit=50");
  });
  const figures = await withEnv({ STUDIO_RATE_LIMIT_PER_KEY: "0" }, async () => [
    await run("GET /v1/posts?limit=50 (unfiltered)", "/v1/posts?limit=50"),
    await run("GET /v1/posts?status=scheduled&limit=50 (matches all)", "/v1/posts?status=scheduled&limit=50"),
    await run(
      `GET /v1/posts?status=published&limit=50 (matches none of ${posts})`,
      "/v1/posts?status=published&limit=50",
    ),
    await run(`GET /v1/posts?accountId=<own>&limit=50`, `/v1/posts?accountId=${acct.id}&limit=50`),
    await run(
      `GET /v1/posts?accountId=<another workspace's, ${posts} posts> (stranger's key)`,
      `/v1/posts?accountId=${acct.id}&limit=50`,
      stranger.key,
    ),
    await run(
      "GET /v1/posts?accountId=<unknown> (stranger's key)",
      "/v1/posts?accountId=acct_unknown0000&limit=50",
      stranger.key,
    ),
  ]);
  // Walking a filter that matches nothing to its end: how many requests, how long.
  const walk = await withEnv({ STUDIO_RATE_LIMIT_PER_KEY: "0" }, async () => {
    const t = performance.now();
    let cursor: string | null = null;
    let requests = 0;
    do {
      const page: { items: unknown[]; nextCursor: string | null } = await ctx.api(
        "GET",
        `/v1/posts?status=published&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        undefined,
        ws.key,
      );
      cursor = page.nextCursor;
      requests += 1;
    } while (cursor);
    return { requests, ms: Math.round(performance.now() - t) };
  });
  for (const f of figures)
    ctx.log(`  ${f.route}: p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, ${f.reqPerSec} req/s, ${f.readsPerRequest} reads/req`);
  ctx.log(`  walking status=published over ${posts} posts: ${walk.requests} requests, ${walk.ms} ms`);
  return { posts, figures, walkNoMatch: walk };
}

/** The sections' tables for the results' Markdown. */
export function limitsMarkdown(r: { getPost?: ApiFigure[]; list?: Awaited<ReturnType<typeof listSection>> }): string {
  const row = (f: ApiFigure & { readsPerRequest?: number; p99VsBaseline?: number }) =>
    `| ${f.route} | ${f.p50Ms} | ${f.p99Ms} | ${f.reqPerSec} | ${f.readsPerRequest ?? "–"} | ${f.non2xx} |${f.p99VsBaseline !== undefined ? ` ${f.p99VsBaseline}× |` : ""}`;
  const out: string[] = [];
  if (r.getPost) {
    out.push(
      "### GET /v1/posts/{id} next to the same GetItem made directly",
      "",
      "| route | p50 ms | p99 ms | req/s | DynamoDB read calls/req | non-2xx | p99 vs direct |",
      "|---|---|---|---|---|---|---|",
      ...r.getPost.map(row),
      "",
    );
  }
  if (r.list) {
    out.push(
      `### Filtered lists over a workspace of ${r.list.posts.toLocaleString("en")} posts`,
      "",
      "| request | p50 ms | p99 ms | req/s | DynamoDB read calls/req | non-2xx |",
      "|---|---|---|---|---|---|",
      ...r.list.figures.map(row),
      "",
      `Walking \`status=published\` (no match) to the end: ${r.list.walkNoMatch.requests} requests, ${r.list.walkNoMatch.ms} ms.`,
      "",
    );
  }
  return out.join("\n");
}
