import { z } from "zod";
import { FAULT_TYPES, type Fault, type FaultSpec } from "./faults";
import { json, type Reply, type SimRequest } from "./sim-http";
import {
  type CallRecord,
  newId,
  newToken,
  type SimConfig,
  type SimPlatform,
  type SimPublicAccount,
  type SimState,
} from "./state";

export interface RegisterAccountInput {
  platform: SimPlatform;
  /** IG user id, page id or TikTok open_id; generated when absent. */
  accountId?: string;
  handle?: string;
  /** Generated when absent. */
  accessToken?: string;
  /** Lifetime from now (negative: already expired). Default per platform (FB: never). */
  expiresInSec?: number;
  /** TikTok only; generated when absent. */
  refreshToken?: string;
  refreshExpiresInSec?: number;
}

export interface RegisteredAccount {
  platform: SimPlatform;
  accountId: string;
  handle: string;
  accessToken: string;
  expiresAt?: string;
  refreshToken?: string;
  refreshExpiresAt?: string;
}

export interface PublishedGroup {
  platform: SimPlatform;
  accountId: string;
  caption: string;
  count: number;
  ids: string[];
}

/**
 * The `POST /v1/accounts` body that connects a simulator account to Studio (demo, tests, chaos
 * run, benchmark all connect accounts this way).
 *
 * @example
 * await api("POST", "/v1/accounts", connectRequest(control.registerAccount({ platform: "tiktok" })), key);
 */
export function connectRequest(a: RegisteredAccount) {
  return {
    platform: a.platform,
    externalAccountId: a.accountId,
    handle: a.handle,
    accessToken: a.accessToken,
    refreshToken: a.refreshToken,
    expiresAt: a.expiresAt,
    refreshExpiresAt: a.refreshExpiresAt,
  };
}

/** Drives the simulators in-process; every method has an HTTP twin under `/control` (README.md). */
export interface SimulatorControl {
  registerAccount(input: RegisterAccountInput): RegisteredAccount;
  /** Every token of the account stops working (password change / de-authorisation). */
  revokeAccount(platform: SimPlatform, accountId: string): void;
  addFault(spec: FaultSpec): Fault;
  addFaults(specs: FaultSpec[], seed?: number): Fault[];
  /** Pending faults (one-shot faults disappear once fired). */
  faults(): Fault[];
  clearFaults(id?: string): void;
  config(patch?: Partial<SimConfig>): SimConfig;
  /** Moves the simulated clock forward (tokens expire, containers get ready or expire). */
  advanceClock(ms: number): number;
  published(filter?: { platform?: SimPlatform; accountId?: string; caption?: string }): PublishedGroup[];
  /** Every call the simulators received, with the fault that fired, if any. */
  calls(filter?: { operation?: string; accountId?: string }): CallRecord[];
  /**
   * The journal of irreversible calls (IG media_publish, FB create post, TikTok init) in order:
   * the caption each carried, the fault that hit it, the posts it created and what the client
   * got back — the ground truth behind a post whose outcome Studio could not tell.
   */
  journal(filter?: { caption?: string; accountId?: string }): CallRecord[];
  /**
   * Posts that exist on the platform without going through publishing (benchmarks, metrics
   * tests): `count` posts of `accountId`, created `ageMs` ago (default 1 h). Returns their ids.
   */
  seedPosts(input: { platform: SimPlatform; accountId: string; count: number; ageMs?: number }): string[];
  /** The post is deleted on the platform (by its owner, or by moderation). */
  deletePost(platform: SimPlatform, id: string): boolean;
  /** Another creator's public account (competitors): `kind: "personal"` hides it from business discovery. */
  addPublicAccount(input: {
    platform: "instagram" | "facebook";
    handle: string;
    kind?: "business" | "personal";
    followers?: number;
    mediaCount?: number;
  }): SimPublicAccount;
  /** Calls refused because a call budget or a per-minute limit was spent, per operation. */
  limitHits(): Record<string, number>;
  reset(): void;
}

const iso = (ms?: number) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function createControl(state: SimState): SimulatorControl {
  return {
    registerAccount(input) {
      const { platform } = input;
      const accountId =
        input.accountId ?? newId(platform === "tiktok" ? "open_" : platform === "instagram" ? "1784" : "1000");
      const account = state.account(platform, accountId, input.handle);
      const defaultTtl =
        platform === "instagram"
          ? state.config.instagramTokenTtlSec
          : platform === "tiktok"
            ? state.config.tiktokAccessTtlSec
            : undefined;
      const ttl = input.expiresInSec ?? defaultTtl;
      const access = state.issue({
        token:
          input.accessToken ??
          newToken(platform === "instagram" ? "IGQsim" : platform === "facebook" ? "EAAsim" : "act."),
        platform,
        kind: "access",
        accountId,
        expiresAt: ttl === undefined ? undefined : state.now() + ttl * 1000,
      });
      const out: RegisteredAccount = {
        platform,
        accountId,
        handle: account.handle,
        accessToken: access.token,
        expiresAt: iso(access.expiresAt),
      };
      if (platform === "tiktok") {
        const rttl = input.refreshExpiresInSec ?? state.config.tiktokRefreshTtlSec;
        const refresh = state.issue({
          token: input.refreshToken ?? newToken("rft."),
          platform,
          kind: "refresh",
          accountId,
          expiresAt: state.now() + rttl * 1000,
        });
        out.refreshToken = refresh.token;
        out.refreshExpiresAt = iso(refresh.expiresAt);
      }
      return out;
    },
    revokeAccount(platform, accountId) {
      for (const t of state.tokens.values())
        if (t.platform === platform && t.accountId === accountId) t.revoked = "revoked";
    },
    addFault: (spec) => state.faults.add(spec),
    addFaults(specs, seed) {
      if (seed !== undefined) state.faults.seed(seed);
      return specs.map((s) => state.faults.add(s));
    },
    faults: () => state.faults.list(),
    clearFaults: (id) => state.faults.clear(id),
    config(patch) {
      if (patch) state.config = { ...state.config, ...patch };
      return { ...state.config };
    },
    advanceClock(ms) {
      state.offsetMs += ms;
      return state.now();
    },
    published: (filter) => state.published(filter),
    calls(filter = {}) {
      return state.calls.filter(
        (c) =>
          (!filter.operation || c.operation === filter.operation) &&
          (!filter.accountId || c.accountId === filter.accountId),
      );
    },
    journal(filter = {}) {
      return state.calls.filter(
        (c) =>
          c.caption !== undefined &&
          (filter.caption === undefined || c.caption === filter.caption) &&
          (!filter.accountId || c.accountId === filter.accountId),
      );
    },
    seedPosts({ platform, accountId, count, ageMs = 3_600_000 }) {
      state.account(platform, accountId);
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const id =
          platform === "facebook" ? `${accountId}_${newId("10")}` : platform === "tiktok" ? newId("73") : newId("180");
        const createdAt = state.now() - ageMs;
        state.addPost({ platform, accountId, id, caption: `seeded ${id}`, createdAt, via: "control.seed" });
        ids.push(id);
      }
      return ids;
    },
    deletePost(platform, id) {
      const p = state.posts.find((x) => x.platform === platform && x.id === id);
      if (!p || p.deletedAt) return false;
      p.deletedAt = state.now();
      return true;
    },
    addPublicAccount({ platform, handle, kind = "business", followers = 1_000, mediaCount = 12 }) {
      const now = state.now();
      const a: SimPublicAccount = {
        platform,
        id: newId(platform === "instagram" ? "1784" : "1000"),
        handle,
        kind,
        followers,
        createdAt: now,
        media: Array.from({ length: mediaCount }, (_, i) => ({
          id: newId("180"),
          createdAt: now - (i + 1) * 86_400_000,
        })),
      };
      state.publicAccounts.set(`${platform}:${handle.toLowerCase()}`, a);
      return a;
    },
    limitHits: () => ({ ...state.limitHits }),
    reset: () => state.reset(),
  };
}

const platform = z.enum(["instagram", "facebook", "tiktok"]);
const accountSchema = z.object({
  platform,
  accountId: z.string().min(1).optional(),
  handle: z.string().optional(),
  accessToken: z.string().min(1).optional(),
  expiresInSec: z.number().optional(),
  refreshToken: z.string().min(1).optional(),
  refreshExpiresInSec: z.number().optional(),
});
const faultSchema = z.object({
  operation: z.string().min(1),
  type: z.enum(FAULT_TYPES),
  accountId: z.string().optional(),
  times: z.number().int().positive().optional(),
  rate: z.number().min(0).max(1).optional(),
  skip: z.number().int().nonnegative().optional(),
  retryAfterSec: z.number().nonnegative().optional(),
  delayMs: z.number().nonnegative().optional(),
  status: z.number().int().min(100).max(599).optional(),
  code: z.union([z.number(), z.string()]).optional(),
  subcode: z.number().optional(),
  message: z.string().optional(),
  isTransient: z.boolean().optional(),
  usagePercent: z.number().optional(),
  regainMinutes: z.number().optional(),
  mode: z.enum(["reset", "hang"]).optional(),
  failReason: z.string().optional(),
});
const faultsBody = z.union([
  faultSchema,
  z.object({ seed: z.number().int().optional(), faults: z.array(faultSchema) }),
]);
const configSchema = z
  .object({
    containerReadyMs: z.number().nonnegative(),
    containerExpireMs: z.number().nonnegative(),
    tiktokDownloadMs: z.number().nonnegative(),
    tiktokCompleteMs: z.number().nonnegative(),
    instagramPublishLimit: z.number().int().nonnegative(),
    tiktokInitPerMinute: z.number().int().positive(),
    tiktokStatusPerMinute: z.number().int().positive(),
    facebookVideoReadyMs: z.number().nonnegative(),
    facebookRejectDuplicates: z.boolean(),
    autoCreateAccounts: z.boolean(),
    graphCallsPerHourPerAccount: z.number().int().nonnegative(),
    graphAppCallsPerHour: z.number().int().nonnegative(),
    instagramTokenTtlSec: z.number(),
    tiktokAccessTtlSec: z.number(),
    tiktokRefreshTtlSec: z.number(),
    tiktokClientKey: z.string(),
    tiktokClientSecret: z.string(),
    insightsLagMs: z.number().nonnegative(),
    retiredMetrics: z.array(z.string().min(1)),
    tiktokQueryPerMinute: z.number().int().positive(),
  })
  .partial()
  .strict();

const invalid = (e: z.ZodError): Reply =>
  json(400, {
    error: {
      code: "validation_failed",
      details: e.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    },
  });

/** `/control/...` over HTTP. */
export function controlRoute(control: SimulatorControl, sim: SimRequest): Reply | undefined {
  const parts = sim.path.split("/").filter(Boolean);
  const route = `${sim.method} /${parts.join("/")}`;
  const q = Object.fromEntries(sim.query);
  switch (route) {
    case "POST /accounts": {
      const p = accountSchema.safeParse(sim.body);
      return p.success ? json(201, control.registerAccount(p.data)) : invalid(p.error);
    }
    case "GET /faults":
      return json(200, { faults: control.faults() });
    case "POST /faults": {
      const p = faultsBody.safeParse(sim.body);
      if (!p.success) return invalid(p.error);
      const faults =
        "faults" in p.data
          ? control.addFaults(p.data.faults as FaultSpec[], p.data.seed)
          : [control.addFault(p.data as FaultSpec)];
      return json(201, { faults });
    }
    case "DELETE /faults":
      control.clearFaults(q.id);
      return json(200, { faults: control.faults() });
    case "GET /config":
      return json(200, control.config());
    case "POST /config": {
      const p = configSchema.safeParse(sim.body);
      return p.success ? json(200, control.config(p.data)) : invalid(p.error);
    }
    case "POST /clock": {
      const ms = Number((sim.body as { advanceMs?: unknown }).advanceMs);
      if (!Number.isFinite(ms))
        return json(400, { error: { code: "validation_failed", message: "advanceMs must be a number" } });
      return json(200, { now: new Date(control.advanceClock(ms)).toISOString() });
    }
    case "GET /published": {
      const items = control.published({
        platform: q.platform as SimPlatform | undefined,
        accountId: q.accountId,
        caption: q.caption,
      });
      return json(200, { items, total: items.reduce((n, g) => n + g.count, 0) });
    }
    case "GET /calls": {
      const calls = control.calls({ operation: q.operation, accountId: q.accountId });
      const counts: Record<string, number> = {};
      for (const c of calls) counts[c.operation] = (counts[c.operation] ?? 0) + 1;
      return json(200, { counts, calls: calls.slice(-500) });
    }
    case "GET /journal": {
      const items = control.journal({ caption: q.caption, accountId: q.accountId });
      return json(200, { items: items.slice(-500), total: items.length });
    }
    case "POST /posts": {
      const p = z
        .object({
          platform,
          accountId: z.string().min(1),
          count: z.number().int().min(1).max(10_000),
          ageMs: z.number().optional(),
        })
        .safeParse(sim.body);
      return p.success ? json(201, { ids: control.seedPosts(p.data) }) : invalid(p.error);
    }
    case "POST /posts/delete": {
      const p = z.object({ platform, id: z.string().min(1) }).safeParse(sim.body);
      if (!p.success) return invalid(p.error);
      return control.deletePost(p.data.platform, p.data.id)
        ? json(200, { deleted: true })
        : json(404, { error: { code: "not_found" } });
    }
    case "POST /public-accounts": {
      const p = z
        .object({
          platform: z.enum(["instagram", "facebook"]),
          handle: z.string().min(1),
          kind: z.enum(["business", "personal"]).optional(),
          followers: z.number().int().nonnegative().optional(),
          mediaCount: z.number().int().min(0).max(100).optional(),
        })
        .safeParse(sim.body);
      return p.success ? json(201, control.addPublicAccount(p.data)) : invalid(p.error);
    }
    case "GET /limits":
      return json(200, { hits: control.limitHits() });
    case "POST /reset":
      control.reset();
      return json(200, { ok: true });
  }
  if (sim.method === "POST" && parts[0] === "accounts" && parts[3] === "revoke" && parts.length === 4) {
    const p = platform.safeParse(parts[1]);
    if (!p.success) return invalid(p.error);
    control.revokeAccount(p.data, parts[2]!);
    return json(200, { ok: true });
  }
  return undefined;
}
