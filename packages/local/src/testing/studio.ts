import { setTimeout as sleep } from "node:timers/promises";
import { inject } from "vitest";
import { type Runtime, type RuntimeOptions, startRuntime } from "../runtime/runtime";
import type { Simulators } from "../simulators";
import { connectRequest } from "../simulators/control";

type Platform = "instagram" | "facebook" | "tiktok";

export interface TestStudio {
  runtime: Runtime;
  sims: Simulators;
  api: <T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ) => Promise<{ status: number; body: T }>;
  /** A workspace and its owner key. */
  workspace(name?: string): Promise<{ id: string; key: string }>;
  /** Registers an account with the simulator and connects it to the workspace through the API. */
  connect(
    key: string,
    platform: Platform,
    opts?: { expiresInSec?: number },
  ): Promise<{ id: string; externalAccountId: string; accessToken: string; refreshToken?: string }>;
  /** Creates a post and schedules it `inMs` from now, through the API. */
  schedule(key: string, accountId: string, opts: { caption: string; media: Media[]; inMs?: number }): Promise<Post>;
  /**
   * Schedules (or moves) an existing post to `inMs` from now, through the API, with a lead that
   * cannot race: a time the API already sees as past is tried again from the new "now".
   */
  scheduleIn(key: string, postId: string, inMs: number, action?: "schedule" | "move"): Promise<Post>;
  waitFor(key: string, postId: string, done: (p: Post) => boolean, timeoutMs?: number): Promise<Post>;
  waitFinal(key: string, postId: string, timeoutMs?: number): Promise<Post>;
  /** Copies of a caption the simulator actually published. */
  copies(caption: string): number;
  media(name: string): Media;
  stop(): Promise<void>;
}

export interface Media {
  url: string;
  type: "image" | "video";
}

export interface Post {
  id: string;
  status: string;
  attempts: number;
  externalPostId: string | null;
  platformPostId?: string | null;
  publishedAt: string | null;
  heldUntil?: string | null;
  version?: number;
  scheduledFor: string | null;
  lastError: { code: string; message: string } | null;
}

export const FINAL = ["published", "failed", "unconfirmed", "cancelled"];

const wait = (deadlineMs: number) => ({ deadlineMs });
const platformWaits = { processing: wait(6_000), reconcile: wait(2_000), recheck: wait(20_000) };
/** The connected tests' deadlines: seconds instead of minutes and hours (a test may set its own first). */
export const TEST_TIMING = {
  platforms: {
    instagram: { image: platformWaits, video: platformWaits },
    facebook: {
      text: { ...platformWaits, absenceProofAfterMs: 1_000 },
      image: { ...platformWaits, absenceProofAfterMs: 1_000 },
      video: { ...platformWaits, absenceProofAfterMs: 1_000 },
    },
    tiktok: { video: platformWaits },
  },
  retry: { windowMs: 15_000 },
  breaker: { holdInPlaceMaxMs: 10_000 },
  // A loaded 2-core machine: more of the function's 30 s kept for a record's bookkeeping and
  // reporting after its budget (half the margin each; production keeps 2 s).
  invocation: { marginMs: 4_000 },
};

/**
 * The whole system for a connected test: the local runtime (on the suite's DynamoDB Local and
 * fauxqs, a fresh stage), the platform simulators, the API on a free port, the publish poller
 * and a fast dispatcher. Everything goes over real HTTP and real SQS, through the code paths
 * production uses.
 */
export async function startTestStudio(
  opts: Partial<RuntimeOptions> & { dispatcherSeconds?: number } = {},
): Promise<TestStudio> {
  process.env.STUDIO_LEASE_MS ??= "3000";
  process.env.STUDIO_CONTAINER_POLL_MS ??= "300";
  process.env.STUDIO_PUBLISH_POLL_MS ??= "300";
  process.env.STUDIO_RECONCILE_RECHECK_MS ??= "300";
  process.env.STUDIO_UNCONFIRMED_RECHECK_MS ??= "500";
  // The end-to-end tests poll posts every 100 ms, several at once with one key: that is a load
  // harness, not a client; the limits have their own tests (functions/src/http/rate-limits…).
  process.env.STUDIO_RATE_LIMIT_PER_KEY ??= "0";
  // Deadlines shortened like the other timings (config/publishing.ts), so every verdict comes in seconds.
  process.env.STUDIO_PUBLISH_TIMING ??= JSON.stringify(TEST_TIMING);
  process.env.STUDIO_DISPATCHER_PERIOD_SECONDS = String(opts.dispatcherSeconds ?? 1);
  for (const v of ["STUDIO_INSTAGRAM_API_URL", "STUDIO_FACEBOOK_API_URL", "STUDIO_TIKTOK_API_URL"])
    delete process.env[v];
  const runtime = await startRuntime({
    port: 0,
    stage: `e${Math.random().toString(36).slice(2, 8)}`,
    dynamoEndpoint: inject("dynamoEndpoint"),
    sqsEndpoint: inject("sqsEndpoint"),
    schedules: { only: ["publishDispatcher"], periodSeconds: { publishDispatcher: opts.dispatcherSeconds ?? 1 } },
    pollers: ["publish"],
    pollWaitSeconds: 1,
    ...opts,
  });
  const sims = runtime.simulators as Simulators;
  sims.control.config({ containerReadyMs: 200, tiktokDownloadMs: 100, tiktokCompleteMs: 300 });
  const admin = runtime.adminToken;

  const api: TestStudio["api"] = async (method, path, body, token = admin) => {
    const res = await fetch(`${runtime.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as never };
  };

  const studio: TestStudio = {
    runtime,
    sims,
    api,
    async workspace(name = "Acme") {
      const res = await api<{ workspace: { id: string }; apiKey: string }>("POST", "/v1/workspaces", {
        name,
        timezone: "Europe/Paris",
      });
      if (res.status !== 201) throw new Error(`workspace: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.workspace.id, key: res.body.apiKey };
    },
    async connect(key, platform, o = {}) {
      const acct = sims.control.registerAccount({ platform, expiresInSec: o.expiresInSec });
      const res = await api<{ id: string }>("POST", "/v1/accounts", connectRequest(acct), key);
      if (res.status !== 201) throw new Error(`connect: ${res.status} ${JSON.stringify(res.body)}`);
      return {
        id: res.body.id,
        externalAccountId: acct.accountId,
        accessToken: acct.accessToken,
        refreshToken: acct.refreshToken,
      };
    },
    async schedule(key, accountId, o) {
      const created = await api<Post>("POST", "/v1/posts", { accountId, caption: o.caption, media: o.media }, key);
      if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
      return studio.scheduleIn(key, created.body.id, o.inMs ?? 1500);
    },
    async scheduleIn(key, postId, inMs, action = "schedule") {
      // A lead that cannot race: on a busy machine the API may see a short lead as already past
      // (400 post.schedule_in_past); then the same lead is tried again from the new "now".
      for (let tries = 1; ; tries++) {
        const at = new Date(Date.now() + inMs).toISOString();
        const res = await api<Post>("POST", `/v1/posts/${postId}/${action}`, { scheduledFor: at }, key);
        if (res.status === 200) return res.body;
        const code = (res.body as { error?: { code?: string } }).error?.code;
        if (code !== "post.schedule_in_past" || tries >= 10)
          throw new Error(`${action}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    },
    // 60 s by default: a post's pipeline takes 1–5 s here, and far longer when the 2 cores are
    // shared with other work (posts past 30 s seen, 2026-11-28); the wait ends when it is done.
    async waitFor(key, postId, done, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      let last: Post | undefined;
      while (Date.now() < until) {
        const res = await api<Post>("GET", `/v1/posts/${postId}`, undefined, key);
        last = res.body;
        if (done(last)) return last;
        await sleep(100);
      }
      throw new Error(`post ${postId} did not reach the expected state in ${timeoutMs} ms: ${JSON.stringify(last)}`);
    },
    waitFinal(key, postId, timeoutMs) {
      return studio.waitFor(key, postId, (p) => FINAL.includes(p.status), timeoutMs);
    },
    copies(caption) {
      return sims.control.published({ caption }).reduce((n, g) => n + g.count, 0);
    },
    media(name) {
      return { url: `${sims.mediaUrl}/${name}`, type: /\.(mp4|mov)$/.test(name) ? "video" : "image" };
    },
    stop: () => runtime.stop(),
  };
  return studio;
}
