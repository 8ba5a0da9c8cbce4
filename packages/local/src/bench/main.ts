import { mkdir, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { machine, pool } from "../chaos/driver";
import { percentiles } from "../chaos/report";
import { connectRequest } from "../simulators/control";
import { type ApiFigure, measure, measureRawGet } from "./api-latency";
import { addGetItemRoute, getPostSection, limitsMarkdown, listSection } from "./api-limits";
import { DynamoCounter } from "./counting";
import { delayBreakdown, delayByDueSecond, withEventLoopDelay } from "./delay-breakdown";
import { renderMarkdown } from "./markdown";
import { seedScheduled } from "./seed";

/**
 * `pnpm bench`: the publish pipeline's figures (issue 4), written to bench/results/<date>.json
 * and bench/results/latest.md. The runtime runs in this process (startRuntime, its own DynamoDB
 * Local with JVM defaults and fauxqs, the platform simulators), so that a counting middleware
 * can sit on the DynamoDB client. Not a test: nothing is asserted, every figure is reported
 * next to its target.
 *
 * Options: --delay-posts 1000 --burst-posts 10000 --raw-posts 3000 --api-seconds 10
 * --burst-max-wait-minutes 8 --skip-burst --list-posts 10000 --delay-dump <file> (each published
 * post's timings, ms from its due time, as JSON lines: for digging into the breakdown)
 * --only delay[,delay-instant,api,dispatcher,burst,get-post,list]: only those sections (e.g. `pnpm bench --only
 * delay` for the publish delay of 1,000 posts due in one minute); the results then go to
 * <date>-<sections>.json and <date>-<sections>.md, and latest.* are left as they are.
 */
/** The simulators' per-token limits in the bench (and the status quota Studio is told). */
const BENCH_TOKEN_LIMIT = 1_000_000;
const SECTIONS = ["api", "dispatcher", "delay", "delay-instant", "burst", "get-post", "list"] as const;
type Platform = "instagram" | "facebook" | "tiktok";
const PLATFORMS: Platform[] = ["instagram", "facebook", "tiktok"];

async function main() {
  const { values } = parseArgs({
    options: {
      "delay-posts": { type: "string", default: "1000" },
      "burst-posts": { type: "string", default: "10000" },
      "list-posts": { type: "string", default: "10000" },
      "raw-posts": { type: "string", default: "3000" },
      "api-seconds": { type: "string", default: "10" },
      "burst-max-wait-minutes": { type: "string", default: "8" },
      "skip-burst": { type: "boolean", default: false },
      "delay-dump": { type: "string" },
      only: { type: "string" },
      out: { type: "string", default: "bench/results" },
    },
  });
  const only = values.only?.split(",").map((x) => x.trim());
  const unknown = only?.filter((x) => !(SECTIONS as readonly string[]).includes(x)) ?? [];
  if (unknown.length)
    throw new Error(`--only: unknown section(s) ${unknown.join(", ")}; known: ${SECTIONS.join(", ")}`);
  const wants = (section: (typeof SECTIONS)[number]) => !only || only.includes(section);
  const cfg = {
    delayPosts: Number(values["delay-posts"]),
    burstPosts: values["skip-burst"] ? 0 : Number(values["burst-posts"]),
    listPosts: Number(values["list-posts"]),
    rawPosts: Number(values["raw-posts"]),
    apiSeconds: Number(values["api-seconds"]),
    burstMaxWaitMs: Number(values["burst-max-wait-minutes"]) * 60_000,
  };
  // Before any Studio module loads: request logs at WARN (a line per request would flood this
  // terminal; in AWS they go to CloudWatch asynchronously), DynamoDB Local with JVM defaults
  // (peak throughput rather than quick start).
  process.env.STUDIO_LOG_LEVEL ??= "WARN";
  process.env.STUDIO_DYNAMODB_JAVA_OPTS ??= "";
  process.env.SST_TELEMETRY_DISABLED = "1";
  // A load test: the API sections drive one key far past any per-key limit (0 = off).
  process.env.STUDIO_RATE_LIMIT_PER_KEY ??= "0";
  // The simulators' per-token limits are raised below so they are not what is measured; Studio,
  // which shares TikTok's status quota (30 a minute) among an account's posts polling at once
  // (publish/poll-share.ts), is told the same raised quota. (The delay run makes ~17 posts of one
  // TikTok account due in the same second; TikTok itself would refuse more than 6 inits a minute.)
  process.env.STUDIO_PUBLISH_TIMING ??= JSON.stringify({
    platforms: { tiktok: { video: { statusQuota: { perMinute: BENCH_TOKEN_LIMIT } } } },
  });
  for (const v of ["STUDIO_INSTAGRAM_API_URL", "STUDIO_FACEBOOK_API_URL", "STUDIO_TIKTOK_API_URL"])
    delete process.env[v];

  const { startRuntime } = await import("../runtime/runtime");
  const { Scheduler } = await import("../runtime/scheduler");
  const { schedules } = await import("@studio/core/config/jobs");
  const { setDynamo } = await import("@studio/core/db/client");
  const { db } = await import("@studio/core/db/service");
  const { dispatcherVsRaw } = await import("./throughput");
  const { app } = await import("@studio/functions/http/app");

  const date = new Date().toISOString();
  const host = machine();
  const log = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);
  log(`bench on ${host.cores} cores, ${host.cpu}`);

  const rt = await startRuntime({ port: 0, api: false, pollers: ["publish"], schedules: false, stage: "bench" });
  const sims = rt.simulators;
  if (!sims) throw new Error("the bench needs the platform simulators");
  // The simulators must not be the bottleneck: per-token and per-app limits raised, platform
  // processing times left at their defaults (IG container ready after 1 s; TikTok 1.5 s).
  const simConfig = sims.control.config({
    instagramPublishLimit: 1_000_000,
    tiktokInitPerMinute: BENCH_TOKEN_LIMIT,
    tiktokStatusPerMinute: BENCH_TOKEN_LIMIT,
    graphCallsPerHourPerAccount: 100_000_000,
    graphAppCallsPerHour: 1_000_000_000,
  });
  const counter = new DynamoCounter();
  setDynamo(counter.client);
  // The raw calls go through a plain client (no middleware) on the same DynamoDB Local.
  const raw = DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 4 }));
  const sqs = new SQSClient({ endpoint: rt.sqsEndpoint });

  // The API on a wrapper app that adds one bare route, same server, same process.
  const wrapper = new Hono();
  wrapper.get("/bench/bare", (c) => c.json({ ok: true }));
  addGetItemRoute(wrapper);
  wrapper.all("*", (c) => app.fetch(c.req.raw));
  const server = await new Promise<ReturnType<typeof serve>>((ok) => {
    const s = serve({ fetch: wrapper.fetch, port: 0, hostname: "127.0.0.1" }, () => ok(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const api = async <T>(method: string, path: string, body?: unknown, token = rt.adminToken): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as T;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const workspace = async (name: string) => {
    const ws = await api<{ workspace: { id: string }; apiKey: string }>("POST", "/v1/workspaces", {
      name,
      timezone: "UTC",
    });
    return { id: ws.workspace.id, key: ws.apiKey };
  };
  const connect = async (key: string, platform: Platform, tag: string) => {
    const a = sims.control.registerAccount({ platform });
    const res = await api<{ id: string }>("POST", "/v1/accounts", connectRequest(a), key);
    counter.tag(res.id, tag);
    return { id: res.id, platform };
  };
  const media = (p: Platform, i: number) => {
    const m = (n: string) => ({ url: `${sims.mediaUrl}/${n}`, type: n.endsWith(".mp4") ? "video" : "image" }) as const;
    if (p === "tiktok") return [m("video.mp4")];
    if (p === "instagram") return [m(i % 5 === 0 ? "video.mp4" : "image.jpg")];
    return i % 2 ? [m("image.jpg")] : [];
  };
  const accountsFor = async (key: string, n: number, tag: (p: Platform) => string) => {
    const out: Array<{ id: string; platform: Platform }> = [];
    for (let i = 0; i < n; i++) {
      const p = PLATFORMS[i % 3] as Platform;
      out.push(await connect(key, p, tag(p)));
    }
    return out;
  };
  const nextMinuteAfter = (ms: number) => Math.ceil(ms / 60_000) * 60_000;
  /** Reads posts straight from the table (not through the counted client). */
  const readPosts = (ids: string[]) =>
    counter.uncounted(async () => {
      const out: Array<Record<string, unknown>> = [];
      for (let i = 0; i < ids.length; i += 100) {
        const { data } = await db()
          .entities.post.get(ids.slice(i, i + 100).map((id) => ({ id })))
          .go();
        out.push(...(data as Array<Record<string, unknown>>));
      }
      return out;
    });

  const results: Record<string, unknown> = { date, machine: host, config: cfg, simulatorConfig: simConfig };
  try {
    // 1. API latency against the bare route.
    if (wants("api")) {
      const ws = await workspace("bench api");
      const acct = await connect(ws.key, "facebook", "api");
      const ids: string[] = [];
      for (let i = 0; i < 200; i++)
        ids.push(
          (
            await api<{ id: string }>(
              "POST",
              "/v1/posts",
              { accountId: acct.id, caption: `api ${i}`, media: [] },
              ws.key,
            )
          ).id,
        );
      const run = (name: string, path: string, o: { method?: "GET" | "POST"; body?: unknown; token?: string } = {}) =>
        measure({ name, url: `${base}${path}`, seconds: cfg.apiSeconds, connections: 10, token: ws.key, ...o });
      log("API latency (autocannon, 10 connections; a discarded warm-up run first, for the JVM's JIT)…");
      await run("warm-up", `/v1/posts/${ids[3]}`);
      await run("warm-up", "/bench/bare");
      const bare = await run("GET /bench/bare (bare route)", "/bench/bare");
      const figures: ApiFigure[] = [
        bare,
        await run("GET /v1/posts/{id}", `/v1/posts/${ids[17]}`),
        await run("GET /v1/posts", "/v1/posts"),
        await run("POST /v1/posts", "/v1/posts", {
          method: "POST",
          body: { accountId: acct.id, caption: "from autocannon", media: [] },
        }),
      ];
      for (const f of figures.slice(1)) {
        f.p99VsBare = Math.round((f.p99Ms / Math.max(1, bare.p99Ms)) * 10) / 10;
        f.reqPerSecVsBare = Math.round((f.reqPerSec / bare.reqPerSec) * 100) / 100;
      }
      figures.push(
        await measureRawGet(
          raw,
          db()
            .entities.post.get({ id: ids[17] as string })
            .params() as Record<string, unknown>,
          cfg.apiSeconds,
          10,
        ),
      );
      results.api = figures;
      for (const f of figures) log(`  ${f.route}: p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, ${f.reqPerSec} req/s`);
    }

    // 1b. Issue 8: GET /v1/posts/{id} next to the same GetItem made directly; filtered lists
    // over 10,000 posts (api-limits.ts).
    const limitsCtx = { base, seconds: cfg.apiSeconds, counter, workspace, connect, api, log };
    if (wants("get-post")) results.getPost = await getPostSection(limitsCtx);
    if (wants("list")) results.list = await listSection(limitsCtx, cfg.listPosts);

    // 2. Dispatcher throughput next to the raw calls (no scheduler running yet).
    if (wants("dispatcher")) {
      const ws = await workspace("bench dispatch");
      const accounts = await accountsFor(ws.key, 30, () => "ignore");
      const dueAt = Date.now() + 20 * 60_000;
      log(`dispatcher vs raw: writing ${cfg.rawPosts} scheduled posts due in 20 min…`);
      const ids = await counter.uncounted(() =>
        seedScheduled(ws.id, accounts, cfg.rawPosts, () => dueAt, media, "dispatch"),
      );
      for (const id of ids) counter.tag(id, "ignore");
      const d = await counter.uncounted(() => dispatcherVsRaw({ due: cfg.rawPosts, dueAt, raw, sqs }));
      results.dispatcher = d;
      log(
        `  dispatcher ${d.dispatcher.postsPerSec} posts/s, raw ${d.raw.postsPerSec} posts/s, ratio ${d.ratio} (sent ${d.dispatcher.sent})`,
      );
      // Their messages arrive in 60 s: deleted first, they are no-ops ("post not found").
      await counter.uncounted(() =>
        db()
          .entities.post.delete(ids.map((id) => ({ id })))
          .go({ concurrency: 4 }),
      );
    }

    // From here on, the real every-minute dispatcher (cron(* * * * ? *)), as in AWS.
    const scheduler = new Scheduler([{ ...schedules.publishDispatcher }], rt.stage);
    await scheduler.start();

    // 3. 1,000 posts due in one minute (each at a second of it), then 1,000 due at the very
    // same instant: publish delay and DynamoDB operations per published post, per platform.
    const delayRun = async (spread: boolean) => {
      const ws = await workspace(`bench delay ${spread ? "spread" : "instant"}`);
      const accounts = await accountsFor(ws.key, 30, (p) => p);
      log(`delay: creating ${cfg.delayPosts} posts through the API…`);
      const ids: string[] = new Array(cfg.delayPosts);
      await pool(ids, 16, async (_, i) => {
        const a = accounts[i % accounts.length] as (typeof accounts)[number];
        const post = await api<{ id: string }>(
          "POST",
          "/v1/posts",
          { accountId: a.id, caption: `delay ${i}`, media: media(a.platform, i) },
          ws.key,
        );
        counter.tag(post.id, a.platform);
        ids[i] = post.id;
      });
      const due = nextMinuteAfter(Date.now() + 90_000 + cfg.delayPosts * 20);
      const dueOf = (i: number) => due + (spread ? (i % 60) * 1000 : 0);
      await pool(ids, 16, async (id, i) => {
        await api("POST", `/v1/posts/${id}/schedule`, { scheduledFor: new Date(dueOf(i)).toISOString() }, ws.key);
      });
      counter.reset();
      log(`  due ${spread ? "over the minute from" : "all at"} ${new Date(due).toISOString()}; waiting…`);
      // The event loop's delay is measured from shortly before the first post falls due.
      await sleep(Math.max(0, due - 5_000 - Date.now()));
      // How many batches the publish poller had in flight (its bound is the queue's maxConcurrency).
      let busiest = 0;
      const sampler = setInterval(() => {
        busiest = Math.max(busiest, rt.pollers.publish?.inFlightBatches ?? 0);
      }, 50);
      const { result: done, eventLoopDelayMs } = await withEventLoopDelay(() =>
        waitFinal(readPosts, ids, due + 10 * 60_000),
      ).finally(() => clearInterval(sampler));
      const ops = counter.counts;
      if (values["delay-dump"]) await writeFile(values["delay-dump"], dumpTimings(done));
      const lateness = (p: Record<string, unknown>) =>
        Date.parse(p.publishedAt as string) - Date.parse(p.scheduledFor as string);
      const delays = done.filter((p) => p.status === "published").map(lateness);
      const perPlatform: Record<string, unknown> = {};
      const publishedBy: Record<string, number> = {};
      for (const p of done)
        if (p.status === "published") publishedBy[p.platform as string] = (publishedBy[p.platform as string] ?? 0) + 1;
      const published = delays.length;
      const shared = ops.byPlatform.other ?? { reads: 0, writes: 0 };
      for (const p of PLATFORMS) {
        const n = publishedBy[p] ?? 0;
        const own = ops.byPlatform[p] ?? { reads: 0, writes: 0 };
        const d = done.filter((x) => x.platform === p && x.status === "published").map(lateness);
        perPlatform[p] = {
          published: n,
          delayMs: percentiles(d),
          breakdownMs: delayBreakdown(done, p),
          readsPerPost: round2(own.reads / n + shared.reads / published),
          writesPerPost: round2(own.writes / n + shared.writes / published),
          ownReadsPerPost: round2(own.reads / n),
          ownWritesPerPost: round2(own.writes / n),
        };
      }
      const result = {
        posts: cfg.delayPosts,
        due: spread ? "one per second of the minute, round-robin" : "all at the same instant",
        dueAt: new Date(due).toISOString(),
        statuses: tally(done),
        delayMs: percentiles(delays),
        delayByDueSecondMs: delayByDueSecond(done),
        eventLoopDelayMs,
        pollerBatchesInFlightMax: busiest,
        perPlatform,
        dynamo: {
          ...ops,
          sharedPerPost: { reads: round2(shared.reads / published), writes: round2(shared.writes / published) },
        },
      };
      const pct = percentiles(delays);
      log(`  published ${published}/${cfg.delayPosts}; delay p50 ${pct.p50} ms, p99 ${pct.p99} ms, max ${pct.max} ms`);
      for (const p of PLATFORMS) log(`  ${p}: ${JSON.stringify(perPlatform[p])}`);
      return result;
    };
    if (wants("delay")) results.delay = await delayRun(true);
    if (wants("delay-instant")) results.delaySameInstant = await delayRun(false);

    // 4. 10,000 posts due in the same minute.
    if (cfg.burstPosts > 0 && wants("burst")) {
      const ws = await workspace("bench burst");
      const accounts = await accountsFor(ws.key, 90, () => "burst");
      const due = nextMinuteAfter(Date.now() + 30_000 + cfg.burstPosts * 10);
      log(`burst: writing ${cfg.burstPosts} posts scheduled over the minute from ${new Date(due).toISOString()}…`);
      const ids = await counter.uncounted(() =>
        seedScheduled(ws.id, accounts, cfg.burstPosts, (i) => due + (i % 60) * 1000, media, "burst"),
      );
      const scheduledBy = Date.now();
      log(`  scheduled (${((due - scheduledBy) / 1000).toFixed(0)} s before the minute); waiting…`);
      const started = Date.now();
      const deadline = due + cfg.burstMaxWaitMs;
      const countLive = () =>
        sims.control
          .published()
          .filter((g) => g.caption.startsWith("burst "))
          .reduce((n, g) => n + g.count, 0);
      while (Date.now() < deadline && countLive() < cfg.burstPosts) await sleep(1000);
      const items = await waitFinal(readPosts, ids, Math.max(Date.now() + 5_000, deadline));
      const published = items.filter((p) => p.status === "published");
      const enq = items
        .map((p) => (p.enqueuedAt ? Date.parse(p.enqueuedAt as string) : Number.NaN))
        .filter(Number.isFinite);
      const lateness = published.map((p) => Date.parse(p.publishedAt as string) - Date.parse(p.scheduledFor as string));
      const lastPublished = Math.max(...published.map((p) => Date.parse(p.publishedAt as string)));
      results.burst = {
        posts: cfg.burstPosts,
        accounts: accounts.length,
        minuteStart: new Date(due).toISOString(),
        scheduledSecondsBefore: Math.round((due - scheduledBy) / 1000),
        statuses: tally(items),
        enqueued: enq.length,
        // Sent = the dispatcher's SendMessageBatch (recorded as enqueuedAt right after it; a
        // post claimed before that record has none). On time = sent no later than it was due.
        lastSentSecondsAfterMinuteStart: enq.length ? Math.round((Math.max(...enq) - due) / 100) / 10 : null,
        sentAfterDue: items.filter(
          (p) => p.enqueuedAt && Date.parse(p.enqueuedAt as string) > Date.parse(p.scheduledFor as string),
        ).length,
        allPublishedSecondsAfterMinuteStart: published.length ? Math.round((lastPublished - due) / 100) / 10 : null,
        lastPublishedSecondsAfterMinuteEnd: published.length
          ? Math.round((lastPublished - due - 60_000) / 100) / 10
          : null,
        delayMs: percentiles(lateness),
        publishedPerSecond: published.length ? Math.round(published.length / ((lastPublished - due) / 1000)) : 0,
        waitedSeconds: Math.round((Date.now() - started) / 1000),
      };
      log(`  ${JSON.stringify(results.burst)}`);
    }
    await scheduler.stop(5_000);
  } finally {
    server.close();
    sqs.destroy();
    raw.destroy();
    await rt.stop();
  }

  await mkdir(values.out as string, { recursive: true });
  const stamp = date.slice(0, 19).replace(/:/g, "-");
  const md = [renderMarkdown(results as never), limitsMarkdown(results as never)].filter(Boolean).join("\n");
  const name = only ? `${stamp}-${only.join("-")}` : stamp;
  await writeFile(`${values.out}/${name}.json`, `${JSON.stringify(results, null, 2)}\n`);
  if (only) await writeFile(`${values.out}/${name}.md`, md);
  else {
    await writeFile(`${values.out}/latest.json`, `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(`${values.out}/latest.md`, md);
  }
  console.log(`\n${md}\nwritten: ${values.out}/${name}.json, ${values.out}/${only ? `${name}.md` : "latest.md"}`);
  process.exit(0);
}

async function waitFinal(
  read: (ids: string[]) => Promise<Array<Record<string, unknown>>>,
  ids: string[],
  deadline: number,
): Promise<Array<Record<string, unknown>>> {
  for (;;) {
    const items = await read(ids);
    const open = items.filter((p) => p.status === "scheduled" || p.status === "publishing").length;
    if (open === 0 || Date.now() > deadline) return items;
    await sleep(2000);
  }
}

/** One JSON line per published post: its timings in ms from its due time. */
function dumpTimings(posts: Array<Record<string, unknown>>): string {
  const fields = [
    "enqueuedAt",
    "preparedAt",
    "receivedAt",
    "claimedAt",
    "processingSince",
    "finalCallAt",
    "publishedAt",
  ];
  return posts
    .filter((p) => p.status === "published")
    .map((p) => {
      const due = Date.parse(p.scheduledFor as string);
      const row: Record<string, unknown> = { platform: p.platform, dueSecond: new Date(due).getUTCSeconds() };
      for (const f of fields) if (typeof p[f] === "string") row[f] = Date.parse(p[f] as string) - due;
      return `${JSON.stringify(row)}\n`;
    })
    .join("");
}

function tally(items: Array<Record<string, unknown>>): Record<string, number> {
  const c: Record<string, number> = {};
  for (const p of items) c[p.status as string] = (c[p.status as string] ?? 0) + 1;
  return c;
}

const round2 = (n: number) => (Number.isFinite(n) ? Math.round(n * 100) / 100 : 0);

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
