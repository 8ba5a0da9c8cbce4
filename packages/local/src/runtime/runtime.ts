import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { SQSClient } from "@aws-sdk/client-sqs";
import { serve } from "@hono/node-server";
import { queues as queueSpecs, resourceName, schedules as scheduleSpecs } from "@studio/core/config/jobs";
import { setDynamo } from "@studio/core/db/client";
import { setSqs } from "@studio/core/queue/sqs";
import { logger } from "@studio/core/util/logger";
import { type SqsLocal, startDynamoLocal, startSqsLocal, useLocalAwsCredentials } from "../aws/emulators";
import { applyLocalEnv } from "../aws/local-env";
import {
  type ProvisionSpec,
  provisionQueue,
  provisionQueues,
  provisionTable,
  type QueueResources,
} from "../aws/provision";
import { type OfflineModel, startOfflineModel } from "../offline-model/index";
import { loadHandler } from "./handler-module";
import { loadApiApp, loadSimulators, type Simulators } from "./integrations";
import { type PollerSpec, QueuePoller } from "./poller";
import { type ScheduledJob, Scheduler } from "./scheduler";
import { SqsPersistence } from "./sqs-snapshot";

export interface ScheduleOptions {
  /** Names of the schedules to run (default: all of config/jobs.ts). */
  only?: string[];
  /** Per schedule name: fire every N seconds instead of on its expression (tests, demos). */
  periodSeconds?: Record<string, number>;
}

/** The public API URL the last runtime of this process put in the environment (not the user's). */
let runtimeSetPublicUrl: string | undefined;

export interface RuntimeOptions {
  /** API port; 0 picks a free one. Default `STUDIO_PORT` or 3000. */
  port?: number;
  /** Interface the API listens on. Default 127.0.0.1. */
  hostname?: string;
  /** Keep DynamoDB's data and SQS's messages here across restarts. Default: in memory. */
  dataDir?: string;
  /** Resource names are `${stage}-studio-…`. Default `STUDIO_STAGE` or "local". */
  stage?: string;
  /** Use this DynamoDB instead of starting DynamoDB Local (tests share one). */
  dynamoEndpoint?: string;
  /** Use this SQS endpoint instead of starting fauxqs. Without an in-process fauxqs, SQS is not persisted. */
  sqsEndpoint?: string;
  /** Serve the API (default true). */
  api?: boolean;
  /** Start the platform simulators for the platforms whose URL is not set (default true). */
  simulators?: boolean;
  /** Start the offline model when neither OPENAI_API_KEY nor OPENAI_BASE_URL is set (default true). */
  offlineModel?: boolean;
  /** false: no schedules. Default: all, on their real expressions. */
  schedules?: false | ScheduleOptions;
  /** false: no pollers; a list: only these queues. Default: every queue. */
  pollers?: boolean | string[];
  /** Queue or schedule name → handler (`path/to/module.export`), replacing the one in jobs.ts. */
  handlers?: Record<string, string>;
  /** More queues (with DLQs) to provision and poll, e.g. test queues with short visibility timeouts. */
  extraQueues?: Array<PollerSpec & ProvisionSpec>;
  /** ReceiveMessage long-poll wait, seconds (1–20). Default 2: short enough for a quick shutdown. */
  pollWaitSeconds?: number;
  /** SQS snapshot period when data is kept on disk. Default 250 ms. */
  snapshotIntervalMs?: number;
  /** How long shutdown waits for running batches and scheduled runs. Default: each spec's timeout. */
  shutdownGraceMs?: number;
}

export interface RuntimeQueue extends QueueResources {
  name: string;
}

export interface Runtime {
  /** Where the API listens, if it is served. */
  apiUrl: string | undefined;
  adminToken: string;
  stage: string;
  tableName: string;
  dynamoEndpoint: string;
  sqsEndpoint: string;
  queues: Record<string, RuntimeQueue>;
  pollers: Record<string, QueuePoller>;
  scheduler: Scheduler | undefined;
  simulators: Simulators | undefined;
  /** The offline model, when it answers for OpenAI (no OPENAI_API_KEY / OPENAI_BASE_URL set). */
  offlineModel: OfflineModel | undefined;
  /** Graceful: stop receiving, let batches finish (bounded), snapshot SQS, stop everything. */
  stop(): Promise<void>;
  /** Abrupt, like a crash: no waiting for batches and no final SQS snapshot. */
  kill(): Promise<void>;
}

/**
 * The JVM flags DynamoDB Local gets from the runtime: client JIT only and the serial GC start
 * it about 40% sooner (measured: 3.9–5.3 s instead of 7.2–8.3 s on a loaded 2-core machine).
 * Peak throughput matters less for a laptop than start-up; STUDIO_DYNAMODB_JAVA_OPTS overrides
 * (empty string: JVM defaults, e.g. for benchmarks).
 */
const FAST_START_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";

const PLATFORM_ENV = {
  instagramUrl: "STUDIO_INSTAGRAM_API_URL",
  facebookUrl: "STUDIO_FACEBOOK_API_URL",
  tiktokUrl: "STUDIO_TIKTOK_API_URL",
} as const;

/**
 * Runs Studio on one machine: DynamoDB Local and fauxqs (or given endpoints), the table and
 * every queue + DLQ of config/jobs.ts, the environment the Lambdas get in AWS, the platform
 * simulators, the API, the schedules and one poller per queue — the same handler modules as
 * Lambda, invoked with real SQS-shaped and EventBridge-shaped events.
 *
 * @example
 * const rt = await startRuntime({ port: 0, schedules: { periodSeconds: { publishDispatcher: 2 } } });
 * await fetch(`${rt.apiUrl}/health`);
 * await rt.stop();
 */
export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  useLocalAwsCredentials();
  const stage = options.stage ?? process.env.STUDIO_STAGE ?? "local";
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  if (dataDir) await mkdir(join(dataDir, "dynamodb"), { recursive: true });
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse())
      await fn().catch((err) => logger.error("cleanup failed", { error: String(err) }));
    cleanups.length = 0;
  };

  // Module loading (the API and every handler, compiled on the fly) overlaps the JVM's start.
  const wantedPollers = options.pollers ?? true;
  const preload = Promise.allSettled([
    options.api === false ? undefined : loadApiApp(),
    options.simulators === false ? undefined : loadSimulators(),
    ...[...Object.values(queueSpecs), ...(options.extraQueues ?? [])]
      .filter((q) => wantedPollers === true || (Array.isArray(wantedPollers) && wantedPollers.includes(q.name)))
      .map((q) => loadHandler(options.handlers?.[q.name] ?? q.handler)),
    ...(options.schedules === false
      ? []
      : Object.values(scheduleSpecs).map((s) => loadHandler(options.handlers?.[s.name] ?? s.handler))),
  ]);
  const phase = phases();

  try {
    const [dynamo, sqsLocal] = await Promise.all([
      options.dynamoEndpoint
        ? undefined
        : startDynamoLocal({
            dataDir: dataDir && join(dataDir, "dynamodb"),
            javaOptions: process.env.STUDIO_DYNAMODB_JAVA_OPTS ?? FAST_START_JVM,
          }),
      options.sqsEndpoint ? undefined : startSqsLocal(),
    ]);
    phase("emulators");
    if (dynamo) cleanups.push(() => dynamo.stop());
    if (sqsLocal) cleanups.push(() => sqsLocal.stop());
    const dynamoEndpoint = options.dynamoEndpoint ?? (dynamo?.endpoint as string);
    const sqsEndpoint = options.sqsEndpoint ?? (sqsLocal as SqsLocal).endpoint;

    const sqsClient = new SQSClient({ endpoint: sqsEndpoint });
    cleanups.push(async () => sqsClient.destroy());
    const [tableName, provisioned, extra] = await Promise.all([
      provisionTable(dynamoEndpoint, stage),
      provisionQueues(sqsEndpoint, stage),
      Promise.all((options.extraQueues ?? []).map((q) => provisionQueue(sqsClient, stage, q))),
    ]);
    if (dataDir) await keepEncryptionKey(dataDir);
    applyLocalEnv({ stage, dynamoEndpoint, sqsEndpoint, tableName, queues: provisioned });
    phase("provisioned");
    await preload; // errors surface below, where each module is used
    phase("modules loaded");
    // Clients cached by an earlier runtime in this process point at its (stopped) emulators.
    setDynamo(undefined);
    setSqs(undefined);

    const queues: Record<string, RuntimeQueue> = {};
    for (const q of Object.values(provisioned)) queues[q.kind] = { name: q.kind, ...q };
    (options.extraQueues ?? []).forEach((q, i) => {
      queues[q.name] = { name: q.name, ...(extra[i] as QueueResources) };
    });

    const persistence =
      dataDir && sqsLocal
        ? new SqsPersistence({
            server: sqsLocal.server,
            client: sqsClient,
            file: join(dataDir, "sqs-messages.json"),
            prefix: resourceName(stage, ""),
            intervalMs: options.snapshotIntervalMs,
          })
        : undefined;
    if (persistence) {
      const { restored } = await persistence.restore();
      if (restored) logger.info("restored SQS messages from disk", { restored });
      persistence.start();
      cleanups.push(async () => persistence.stopTimer());
    }

    const simulators = options.simulators === false ? undefined : await startPlatformSimulators(cleanups);
    const offlineModel = options.offlineModel === false ? undefined : await startOfflineModelIfNoKey(cleanups);

    let apiUrl: string | undefined;
    if (options.api !== false) {
      const app = await loadApiApp();
      if (!app) {
        logger.warn("packages/functions/src/http/app.ts does not exist yet: the API is not served");
      } else {
        const port = options.port ?? Number(process.env.STUDIO_PORT ?? 3000);
        const hostname = options.hostname ?? "127.0.0.1";
        const server = await new Promise<ReturnType<typeof serve>>((ok, fail) => {
          const s = serve({ fetch: app.fetch, port, hostname }, () => ok(s));
          s.once("error", fail);
        });
        // Idle keep-alive connections outlive the client's (undici: 4 s): the client always closes
        // first. Node's 5 s let a loaded machine's late timers reuse a socket the server had just
        // closed ("fetch failed" in tests that paused their API calls for a few seconds).
        (server as { keepAliveTimeout?: number }).keepAliveTimeout = 30_000;
        apiUrl = `http://${hostname === "0.0.0.0" ? "127.0.0.1" : hostname}:${(server.address() as AddressInfo).port}`;
        // Platforms fetch media through the API (core/publish/media-pull.ts): this one, unless
        // the environment names another (e.g. a tunnel a real platform can reach).
        const publicUrl = apiUrl;
        if (!process.env.STUDIO_PUBLIC_API_URL || process.env.STUDIO_PUBLIC_API_URL === runtimeSetPublicUrl) {
          process.env.STUDIO_PUBLIC_API_URL = runtimeSetPublicUrl = publicUrl;
          cleanups.push(async () => {
            if (process.env.STUDIO_PUBLIC_API_URL === publicUrl) delete process.env.STUDIO_PUBLIC_API_URL;
          });
        }
        cleanups.push(
          () =>
            new Promise<void>((ok) => {
              server.close(() => ok());
              (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
            }),
        );
      }
    }

    const pollers: Record<string, QueuePoller> = {};
    const pollable: Array<PollerSpec> = [...Object.values(queueSpecs), ...(options.extraQueues ?? [])];
    const wanted = wantedPollers;
    for (const spec of pollable) {
      if (wanted === false || (Array.isArray(wanted) && !wanted.includes(spec.name))) continue;
      const q = queues[spec.name] as RuntimeQueue;
      const poller = new QueuePoller({
        spec: { ...spec, handler: options.handlers?.[spec.name] ?? spec.handler },
        queueUrl: q.url,
        queueArn: q.arn,
        sqs: sqsClient,
        waitTimeSeconds: options.pollWaitSeconds ?? 2,
        functionName: resourceName(stage, `${spec.name}-consumer`),
      });
      await poller.start();
      pollers[spec.name] = poller;
    }

    let scheduler: Scheduler | undefined;
    if (options.schedules !== false) {
      const so = options.schedules ?? {};
      const jobs: ScheduledJob[] = Object.values(scheduleSpecs)
        .filter((s) => !so.only || so.only.includes(s.name))
        .map((s) => ({
          ...s,
          handler: options.handlers?.[s.name] ?? s.handler,
          periodSeconds: so.periodSeconds?.[s.name],
        }));
      scheduler = new Scheduler(jobs, stage);
      await scheduler.start();
    }

    phase("ready");
    const maxTimeoutMs =
      1000 *
      Math.max(...pollable.map((p) => p.timeoutSeconds), ...Object.values(scheduleSpecs).map((s) => s.timeoutSeconds));
    let stopping: Promise<void> | undefined;
    const stop = (graceful: boolean) => {
      stopping ??= (async () => {
        const grace = (timeoutSeconds: number) => (graceful ? (options.shutdownGraceMs ?? timeoutSeconds * 1000) : 0);
        // 1. Stop receiving and firing; the API stops taking requests (nothing new gets enqueued).
        const draining = [
          ...Object.entries(pollers).map(([name, p]) => {
            const spec = pollable.find((s) => s.name === name) as PollerSpec;
            return p.stop(grace(spec.timeoutSeconds));
          }),
          scheduler?.stop(graceful ? (options.shutdownGraceMs ?? maxTimeoutMs) : 0),
        ];
        // 2. Let in-flight batches finish (bounded); unfinished ones simply return to the queue.
        await Promise.all(draining);
        // 3. Snapshot SQS, then stop the API, simulators, fauxqs and DynamoDB Local.
        if (persistence && graceful)
          await persistence.flush().catch((err) => logger.error("final SQS snapshot failed", { error: String(err) }));
        await cleanup();
      })();
      return stopping;
    };

    return {
      apiUrl,
      adminToken: process.env.STUDIO_ADMIN_TOKEN as string,
      stage,
      tableName,
      dynamoEndpoint,
      sqsEndpoint,
      queues,
      pollers,
      scheduler,
      simulators,
      offlineModel,
      stop: () => stop(true),
      kill: () => stop(false),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * Starts the simulators unless every platform URL is already set; sets the URLs it provides,
 * and unsets them on stop (a later runtime must not think a stopped simulator is external).
 */
async function startPlatformSimulators(cleanups: Array<() => Promise<void>>): Promise<Simulators | undefined> {
  const missing = Object.entries(PLATFORM_ENV).filter(([, name]) => !process.env[name]);
  if (missing.length === 0) return undefined;
  const start = await loadSimulators();
  if (!start) {
    logger.warn("packages/local/src/simulators/index.ts does not exist yet: no platform simulators", {
      unset: missing.map(([, name]) => name),
    });
    return undefined;
  }
  const sims = await start({ port: 0 });
  cleanups.push(() => sims.stop());
  for (const [key, name] of missing) {
    process.env[name] = sims[key as keyof typeof PLATFORM_ENV];
    cleanups.push(async () => {
      delete process.env[name];
    });
  }
  return sims;
}

/**
 * Without OPENAI_API_KEY (and without OPENAI_BASE_URL naming another OpenAI-compatible server),
 * the offline model answers: OPENAI_BASE_URL points at it while this runtime runs and is unset
 * on stop, like the simulators' URLs.
 */
async function startOfflineModelIfNoKey(cleanups: Array<() => Promise<void>>): Promise<OfflineModel | undefined> {
  if (process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL) return undefined;
  const model = await startOfflineModel({ port: 0 });
  process.env.OPENAI_BASE_URL = model.baseUrl;
  cleanups.push(async () => {
    if (process.env.OPENAI_BASE_URL === model.baseUrl) delete process.env.OPENAI_BASE_URL;
    await model.stop();
  });
  return model;
}

/** Logs how long each start-up phase took (debug level: STUDIO_LOG_LEVEL=DEBUG). */
function phases() {
  const started = Date.now();
  let last = started;
  return (name: string) => {
    const now = Date.now();
    logger.debug("runtime start-up phase", { phase: name, ms: now - last, totalMs: now - started });
    last = now;
  };
}

/**
 * With data kept on disk, the tokens stored in it must stay readable after a restart: a
 * generated encryption key is kept beside the data (mode 0600) and reused. An explicit
 * STUDIO_ENCRYPTION_KEY always wins.
 */
export async function keepEncryptionKey(dataDir: string) {
  if (process.env.STUDIO_ENCRYPTION_KEY) return;
  const file = join(dataDir, "encryption.key");
  try {
    process.env.STUDIO_ENCRYPTION_KEY = (await readFile(file, "utf8")).trim();
  } catch {
    const key = randomBytes(32).toString("base64");
    await writeFile(file, key, { mode: 0o600 });
    process.env.STUDIO_ENCRYPTION_KEY = key;
  }
}
