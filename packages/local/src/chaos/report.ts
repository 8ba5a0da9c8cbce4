/** What the chaos run reads back, and the invariants it checks (pure: unit-tested). */

export type Platform = "instagram" | "facebook" | "tiktok";

export interface FinalPost {
  id: string;
  accountId: string;
  platform: Platform;
  caption: string;
  status: string;
  scheduledFor: string | null;
  publishedAt: string | null;
  /** Held back by a breaker or a daily cap: due at this instant instead. */
  heldUntil?: string | null;
  attempts: number;
  lastError: { code: string; message: string } | null;
}

export interface Invariant {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export const FINAL_STATUSES = ["published", "failed", "unconfirmed"] as const;

/** Nearest-rank percentiles (ms in, ms out); zeros for an empty sample. */
export function percentiles(values: number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => (s.length ? (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number) : 0);
  return { n: s.length, p50: at(50), p95: at(95), p99: at(99), max: s.length ? (s[s.length - 1] as number) : 0 };
}

export interface Outcome {
  created: number;
  byStatus: Record<string, number>;
  byPlatform: Record<string, Record<string, number>>;
  failuresByCode: Record<string, number>;
  /** Failures by platform and code, e.g. `facebook account.needs_reconnect`. */
  failuresByPlatformCode: Record<string, number>;
  duplicates: Array<{ postId: string; caption: string; copies: number }>;
  /** Copies on the platform whose caption matches no post Studio created. */
  strayCopies: number;
  notFinal: Array<{ id: string; status: string }>;
  lost: string[];
  unconfirmed: Array<{ id: string; platform: Platform; code: string; message: string; copies: number }>;
  /** Unconfirmed posts by platform and code (the acceptance: ≤ 1%, or an honest count per platform). */
  unconfirmedByPlatformCode: Record<string, number>;
  /** Share of the created posts left unconfirmed, %. */
  unconfirmedPercent: number;
  /** Published later than the deadline after their due time (the run's retry window + processing deadline). */
  publishedPastDeadline: Array<{ id: string; platform: Platform; lateMs: number }>;
  withoutReason: string[];
  publishedNotLive: string[];
  failedButLive: Array<{ id: string; code: string }>;
  doomed: {
    account: string | null;
    posts: number;
    failedNeedsReconnect: number;
    other: Array<{ id: string; status: string; code?: string }>;
  };
  delayMs: Percentiles;
  invariants: Invariant[];
  ok: boolean;
}

/**
 * Compares what Studio says (the posts read back over the API) with what the platforms really
 * published (the simulators' copies per caption).
 *
 * @example
 * const o = evaluate({ createdIds, posts, copiesByCaption, doomedAccountId });
 * if (!o.ok) process.exitCode = 1;
 */
export function evaluate(input: {
  createdIds: string[];
  posts: FinalPost[];
  copiesByCaption: Map<string, number>;
  doomedAccountId?: string;
  /** The longest a post may take from its due time to `published` (retry window + processing deadline + slack). */
  publishDeadlineMs?: number;
}): Outcome {
  const { createdIds, posts, copiesByCaption } = input;
  const byId = new Map(posts.map((p) => [p.id, p]));
  const byStatus: Record<string, number> = {};
  const byPlatform: Record<string, Record<string, number>> = {};
  const failuresByCode: Record<string, number> = {};
  const failuresByPlatformCode: Record<string, number> = {};
  const duplicates: Outcome["duplicates"] = [];
  const notFinal: Outcome["notFinal"] = [];
  const unconfirmed: Outcome["unconfirmed"] = [];
  const withoutReason: string[] = [];
  const publishedNotLive: string[] = [];
  const failedButLive: Outcome["failedButLive"] = [];
  const delays: number[] = [];
  const publishedPastDeadline: Outcome["publishedPastDeadline"] = [];
  const unconfirmedByPlatformCode: Record<string, number> = {};
  const doomed: Outcome["doomed"] = {
    account: input.doomedAccountId ?? null,
    posts: 0,
    failedNeedsReconnect: 0,
    other: [],
  };
  const lost = createdIds.filter((id) => !byId.has(id));
  const captions = new Set<string>();

  for (const id of createdIds) {
    const p = byId.get(id);
    if (!p) continue;
    captions.add(p.caption);
    byStatus[p.status] = (byStatus[p.status] ?? 0) + 1;
    const plat = byPlatform[p.platform] ?? {};
    byPlatform[p.platform] = plat;
    plat[p.status] = (plat[p.status] ?? 0) + 1;
    const copies = copiesByCaption.get(p.caption) ?? 0;
    if (copies > 1) duplicates.push({ postId: p.id, caption: p.caption, copies });
    if (!(FINAL_STATUSES as readonly string[]).includes(p.status)) notFinal.push({ id: p.id, status: p.status });
    if ((p.status === "failed" || p.status === "unconfirmed") && !(p.lastError?.code && p.lastError.message))
      withoutReason.push(p.id);
    if (p.status === "failed") {
      const code = p.lastError?.code ?? "(none)";
      failuresByCode[code] = (failuresByCode[code] ?? 0) + 1;
      const pc = `${p.platform} ${code}`;
      failuresByPlatformCode[pc] = (failuresByPlatformCode[pc] ?? 0) + 1;
      if (copies > 0) failedButLive.push({ id: p.id, code });
    }
    if (p.status === "unconfirmed")
      unconfirmed.push({
        id: p.id,
        platform: p.platform,
        code: p.lastError?.code ?? "(none)",
        message: p.lastError?.message ?? "",
        copies,
      });
    if (p.status === "unconfirmed") {
      const pc = `${p.platform} ${p.lastError?.code ?? "(none)"}`;
      unconfirmedByPlatformCode[pc] = (unconfirmedByPlatformCode[pc] ?? 0) + 1;
    }
    if (p.status === "published") {
      if (copies === 0) publishedNotLive.push(p.id);
      if (p.publishedAt && p.scheduledFor) delays.push(Date.parse(p.publishedAt) - Date.parse(p.scheduledFor));
      if (p.publishedAt && p.scheduledFor && input.publishDeadlineMs !== undefined) {
        const due = Math.max(Date.parse(p.scheduledFor), p.heldUntil ? Date.parse(p.heldUntil) : 0);
        const lateMs = Date.parse(p.publishedAt) - due - input.publishDeadlineMs;
        if (lateMs > 0) publishedPastDeadline.push({ id: p.id, platform: p.platform, lateMs });
      }
    }
    if (input.doomedAccountId && p.accountId === input.doomedAccountId) {
      doomed.posts++;
      if (p.status === "failed" && p.lastError?.code === "account.needs_reconnect") doomed.failedNeedsReconnect++;
      else doomed.other.push({ id: p.id, status: p.status, code: p.lastError?.code });
    }
  }
  let strayCopies = 0;
  for (const [caption, n] of copiesByCaption) if (!captions.has(caption)) strayCopies += n;

  const inv = (name: string, bad: number, detail: string): Invariant => ({ name, ok: bad === 0, detail });
  const invariants = [
    inv("no post published twice", duplicates.length, `${duplicates.length} posts with 2+ copies on the platform`),
    inv("no post lost", lost.length, `${lost.length} created posts not found through the API`),
    inv("no post stuck", notFinal.length, `${notFinal.length} posts not published | failed | unconfirmed`),
    inv(
      "every failed/unconfirmed post has a reason",
      withoutReason.length,
      `${withoutReason.length} without lastError`,
    ),
    inv("published means live", publishedNotLive.length, `${publishedNotLive.length} published posts with no copy`),
    inv("failed means not live", failedButLive.length, `${failedButLive.length} failed posts that are live`),
    inv("no stray copies", strayCopies, `${strayCopies} platform posts that match no Studio post`),
  ];
  if (input.publishDeadlineMs !== undefined)
    invariants.push(
      inv(
        "no post in publishing past its deadline",
        publishedPastDeadline.length,
        `${publishedPastDeadline.length} posts published more than ${Math.round(input.publishDeadlineMs / 1000)} s after they were due`,
      ),
    );
  if (input.doomedAccountId)
    invariants.push(
      inv(
        "a dead refresh token fails its posts with account.needs_reconnect",
        doomed.other.length,
        `${doomed.failedNeedsReconnect}/${doomed.posts} posts of the revoked account failed with account.needs_reconnect`,
      ),
    );
  return {
    created: createdIds.length,
    byStatus,
    byPlatform,
    failuresByCode,
    failuresByPlatformCode,
    duplicates,
    strayCopies,
    notFinal,
    lost,
    unconfirmed,
    unconfirmedByPlatformCode,
    unconfirmedPercent: createdIds.length ? Math.round((unconfirmed.length / createdIds.length) * 1000) / 10 : 0,
    publishedPastDeadline,
    withoutReason,
    publishedNotLive,
    failedButLive,
    doomed,
    delayMs: percentiles(delays),
    invariants,
    ok: invariants.every((i) => i.ok),
  };
}
