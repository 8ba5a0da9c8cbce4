import { randomBytes } from "node:crypto";
import { FaultRegistry } from "./faults";

export type SimPlatform = "instagram" | "facebook" | "tiktok";

/** Tunables of the simulated platforms (`POST /control/config`). */
export interface SimConfig {
  /** IG container: IN_PROGRESS for this long, then FINISHED. */
  containerReadyMs: number;
  /** IG container: EXPIRED this long after creation when not published (Meta: 24 h). */
  containerExpireMs: number;
  /** TikTok publish: PROCESSING_DOWNLOAD until this, then PROCESSING_UPLOAD … */
  tiktokDownloadMs: number;
  /** … then PUBLISH_COMPLETE at this age. */
  tiktokCompleteMs: number;
  /** IG content_publishing_limit quota per rolling 24 h. */
  instagramPublishLimit: number;
  /** TikTok: init requests per minute per access token (documented: 6). */
  tiktokInitPerMinute: number;
  /** TikTok: status fetches per minute per access token (documented: 30). */
  tiktokStatusPerMinute: number;
  /** Facebook lists a new video in `published_posts` only this long after upload (processing); `/videos` lists it at once. */
  facebookVideoReadyMs: number;
  /** Facebook rejects an identical consecutive text post with 506. */
  facebookRejectDuplicates: boolean;
  /** Unknown access tokens are accepted (and an account created) instead of 190 / access_token_invalid. */
  autoCreateAccounts: boolean;
  /** Lifetimes of tokens the simulator issues. */
  instagramTokenTtlSec: number;
  tiktokAccessTtlSec: number;
  tiktokRefreshTtlSec: number;
  /**
   * Graph call budget per rolling hour, per account (`X-Business-Use-Case-Usage`) and for the
   * whole app (`X-App-Usage`). Every Graph answer carries the usage; at 100% calls get code
   * 80002 (account) or 4 (app) until the window frees up.
   */
  graphCallsPerHourPerAccount: number;
  graphAppCallsPerHour: number;
  /** When set, TikTok's token endpoint checks them (else any client is accepted). */
  tiktokClientKey?: string;
  tiktokClientSecret?: string;
  /** Insights of a post younger than this are not there yet (`data: []`): Meta's lag. */
  insightsLagMs: number;
  /**
   * Insights metrics the platform has retired since (on top of the documented ones, e.g.
   * `impressions`): asking for one fails the whole request with code 100 naming it, as Graph
   * does the day a metric goes. Lets a test retire a metric Studio still asks for.
   */
  retiredMetrics: string[];
  /** TikTok `/v2/video/query/` requests per sliding minute per token (documented: 600). */
  tiktokQueryPerMinute: number;
}

export const DEFAULT_CONFIG: SimConfig = {
  containerReadyMs: 1_000,
  containerExpireMs: 24 * 3_600_000,
  tiktokDownloadMs: 500,
  tiktokCompleteMs: 1_500,
  instagramPublishLimit: 50,
  tiktokInitPerMinute: 6,
  tiktokStatusPerMinute: 30,
  facebookVideoReadyMs: 2_000,
  facebookRejectDuplicates: true,
  autoCreateAccounts: true,
  graphCallsPerHourPerAccount: 4_800,
  graphAppCallsPerHour: 200_000,
  instagramTokenTtlSec: 60 * 86_400,
  tiktokAccessTtlSec: 86_400,
  tiktokRefreshTtlSec: 365 * 86_400,
  insightsLagMs: 0,
  retiredMetrics: [],
  tiktokQueryPerMinute: 600,
};

export interface SimAccount {
  platform: SimPlatform;
  id: string;
  handle: string;
}

export interface SimToken {
  token: string;
  platform: SimPlatform;
  kind: "access" | "refresh";
  /** Undefined for auto-accepted Graph tokens: usable for any account id. */
  accountId?: string;
  issuedAt: number;
  /** Undefined: never expires (Facebook page tokens). */
  expiresAt?: number;
  revoked?: "rotated" | "revoked";
}

export interface SimContainer {
  id: string;
  accountId: string;
  caption: string;
  mediaType: "IMAGE" | "REELS";
  mediaUrl: string;
  createdAt: number;
  /** Forced by a fault or by bad media. */
  forced?: { status: "ERROR" | "EXPIRED" | "IN_PROGRESS"; subcode?: string };
  mediaId?: string;
}

export interface SimPost {
  platform: SimPlatform;
  accountId: string;
  id: string;
  caption: string;
  createdAt: number;
  /** TikTok: the post becomes visible at this instant (PUBLISH_COMPLETE); Facebook videos: listed once processed. */
  visibleAt: number;
  /** Facebook videos: the video id (`/videos` answers and lists it; the post id is `{page}_{videoId}`). */
  videoId?: string;
  via: string;
  /** Deleted on the platform (control API): insights answer 100/33, TikTok leaves it out. */
  deletedAt?: number;
  /** Creation order (SimState.postSeq): which posts one call created. */
  seq: number;
}

/** Another creator's public account, for competitors (IG business discovery, FB page fields). */
export interface SimPublicAccount {
  platform: "instagram" | "facebook";
  id: string;
  handle: string;
  /** Instagram: only business/creator accounts are visible to business discovery. */
  kind: "business" | "personal";
  followers: number;
  createdAt: number;
  media: Array<{ id: string; createdAt: number }>;
}

export interface SimPublish {
  publishId: string;
  accountId: string;
  title: string;
  videoUrl: string;
  createdAt: number;
  failReason?: string;
  postId?: string;
  /** A `stuck` fault: processing never completes. */
  stuck?: boolean;
  /** Downloading a video from another host (PULL_FROM_URL): no post until the pull succeeds. */
  pulling?: boolean;
}

export interface CallRecord {
  operation: string;
  accountId?: string;
  at: number;
  fault?: string;
  /** Media, post or video ids the call read (insights). */
  objects?: string[];
  /**
   * The irreversible calls (IG media_publish, FB create post, TikTok init) are journaled with
   * what they carried and what became of them: the platform's ground truth per post.
   */
  caption?: string;
  /** Ids of the posts this call created on the platform (empty: nothing was created). */
  created?: string[];
  /**
   * What the client got back: an HTTP status, `cut` (the socket was destroyed without an
   * answer) or `no_answer` (never answered until the client gave up or the cap cut it). Kept
   * for every call (a rate limit shows as 429); the journal lists the irreversible ones.
   */
  answered?: number | "cut" | "no_answer";
}

let seq = 0;
export const newId = (prefix = "") =>
  `${prefix}${Date.now().toString().slice(-6)}${(++seq).toString().padStart(5, "0")}`;
export const newToken = (prefix: string) => `${prefix}${randomBytes(18).toString("base64url")}`;

/** Everything the simulated platforms remember. One instance per `startSimulators`. */
export class SimState {
  config: SimConfig = { ...DEFAULT_CONFIG };
  offsetMs = 0;
  accounts = new Map<string, SimAccount>();
  tokens = new Map<string, SimToken>();
  containers = new Map<string, SimContainer>();
  posts: SimPost[] = [];
  /** The last `SimPost.seq` given. */
  postSeq = 0;
  publishes = new Map<string, SimPublish>();
  calls: CallRecord[] = [];
  /** Per-token request instants for TikTok's per-minute limits. */
  windows = new Map<string, number[]>();
  /** Graph call instants in the last hour, per account and for the app. */
  hourly = new Map<string, number[]>();
  faults = new FaultRegistry();
  /** `platform:handle` (lower case) → a public account of another creator. */
  publicAccounts = new Map<string, SimPublicAccount>();
  /** Calls refused because a call budget or per-minute limit was spent, per operation. */
  limitHits: Record<string, number> = {};

  constructor(private readonly initialConfig: Partial<SimConfig> = {}) {
    this.config = { ...DEFAULT_CONFIG, ...initialConfig };
  }

  now() {
    return Date.now() + this.offsetMs;
  }

  reset() {
    this.config = { ...DEFAULT_CONFIG, ...this.initialConfig };
    this.offsetMs = 0;
    this.accounts.clear();
    this.tokens.clear();
    this.containers.clear();
    this.posts = [];
    this.publishes.clear();
    this.calls = [];
    this.windows.clear();
    this.hourly.clear();
    this.faults = new FaultRegistry();
    this.publicAccounts.clear();
    this.limitHits = {};
  }

  limitHit(operation: string) {
    this.limitHits[operation] = (this.limitHits[operation] ?? 0) + 1;
  }

  account(platform: SimPlatform, id: string, handle?: string): SimAccount {
    const key = `${platform}:${id}`;
    let a = this.accounts.get(key);
    if (!a) {
      a = { platform, id, handle: handle ?? `${platform}_${id}` };
      this.accounts.set(key, a);
    } else if (handle) a.handle = handle;
    return a;
  }

  issue(t: Omit<SimToken, "issuedAt"> & { issuedAt?: number }): SimToken {
    const rec: SimToken = { issuedAt: this.now(), ...t };
    this.tokens.set(rec.token, rec);
    return rec;
  }

  /**
   * Usage in percent of the hourly Graph budgets as it was before this call, which is counted
   * unless a budget is already spent (then `regainMinutes` says when the oldest call ages out).
   */
  graphUsage(accountId: string | undefined): { app: number; account: number; regainMinutes: number } {
    const now = this.now();
    const hourAgo = now - 3_600_000;
    const prune = (key: string) => {
      const w = this.hourly.get(key) ?? [];
      let i = 0;
      while (i < w.length && w[i]! <= hourAgo) i++;
      if (i) w.splice(0, i);
      this.hourly.set(key, w);
      return w;
    };
    const app = prune("app");
    const acc = accountId ? prune(`acc:${accountId}`) : [];
    const pct = (n: number, budget: number) => (budget > 0 ? Math.min(100, Math.floor((100 * n) / budget)) : 0);
    const appPct = pct(app.length, this.config.graphAppCallsPerHour);
    const accPct = pct(acc.length, this.config.graphCallsPerHourPerAccount);
    const throttled = (appPct >= 100 ? app : accPct >= 100 ? acc : undefined)?.[0];
    if (throttled === undefined) {
      app.push(now);
      if (accountId) acc.push(now);
    }
    return {
      app: appPct,
      account: accPct,
      regainMinutes: throttled === undefined ? 0 : Math.max(1, Math.ceil((throttled + 3_600_000 - now) / 60_000)),
    };
  }

  /** Sliding one-minute window per key: false when `limit` is already reached. */
  allow(key: string, limit: number): boolean {
    const now = this.now();
    const w = (this.windows.get(key) ?? []).filter((t) => t > now - 60_000);
    if (w.length >= limit) {
      this.windows.set(key, w);
      return false;
    }
    w.push(now);
    this.windows.set(key, w);
    return true;
  }

  record(operation: string, accountId: string | undefined, fault?: string, objects?: string[]): CallRecord {
    const rec: CallRecord = { operation, accountId, at: this.now(), fault, ...(objects ? { objects } : {}) };
    this.calls.push(rec);
    if (this.calls.length > 50_000) this.calls.splice(0, 10_000);
    return rec;
  }

  addPost(p: Omit<SimPost, "visibleAt" | "seq"> & { visibleAt?: number }): SimPost {
    const post: SimPost = { visibleAt: p.createdAt, ...p, seq: ++this.postSeq };
    this.posts.push(post);
    return post;
  }

  /** Posts actually created, grouped per platform, account and caption (the "exactly once" proof). */
  published(filter: { platform?: string; accountId?: string; caption?: string } = {}) {
    const groups = new Map<
      string,
      { platform: SimPlatform; accountId: string; caption: string; count: number; ids: string[] }
    >();
    for (const p of this.posts) {
      if (filter.platform && p.platform !== filter.platform) continue;
      if (filter.accountId && p.accountId !== filter.accountId) continue;
      if (filter.caption !== undefined && p.caption !== filter.caption) continue;
      const key = JSON.stringify([p.platform, p.accountId, p.caption]);
      const g = groups.get(key) ?? {
        platform: p.platform,
        accountId: p.accountId,
        caption: p.caption,
        count: 0,
        ids: [],
      };
      g.count++;
      g.ids.push(p.id);
      groups.set(key, g);
    }
    return [...groups.values()];
  }
}
