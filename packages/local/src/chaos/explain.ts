/**
 * Why each post ended `unconfirmed` in the chaos run: what Studio knows (its code, handles and
 * account), set against the platform's ground truth (the simulators' journal of irreversible
 * calls and the copies that are live). Pure: unit-tested in chaos.test.ts.
 */
import type { FinalPost, Platform } from "./report";

/** One irreversible call as the simulator journaled it (`SimulatorControl.journal`). */
export interface JournalEntry {
  at: number;
  fault?: string;
  /** HTTP status, `cut` (socket destroyed) or `no_answer`. */
  answered?: number | "cut" | "no_answer";
  created?: string[];
}

/** What Studio's operators' list says about an unconfirmed post (`GET /v1/ops/unconfirmed`). */
export interface StudioView {
  finalCallAt: string | null;
  publishId: string | null;
  containerId: string | null;
  nextCheckAt: string | null;
}

/**
 * Why the outcome stayed unknown, from the ground truth:
 * - `never_sent`: the irreversible call Studio recorded last (`finalCallAt`) never reached the
 *   platform (the worker died between recording it and sending it; earlier attempts, if any,
 *   were refused): not live;
 * - `sent_nothing_created`: it reached the platform, which created nothing (a 5xx, a timeout,
 *   a dropped connection before the action): not live, but the client got no proof of it;
 * - `live`: the platform created the post; Studio has not confirmed it (yet).
 */
export type Cause = "never_sent" | "sent_nothing_created" | "live";

/** Studio records `finalCallAt` just before sending; the simulator journals the call on arrival. */
const MARKER_SLACK_MS = 250;

export interface UnconfirmedExplained {
  id: string;
  platform: Platform;
  accountId: string;
  externalAccountId: string | null;
  /** The account's status in Studio at the end (`active`, `needs_reconnect` …). */
  accountStatus: string | null;
  code: string;
  message: string;
  mediaKind: string;
  finalCallAt: string | null;
  publishId: string | null;
  containerId: string | null;
  /** The next automatic re-check (null: Studio has stopped asking). */
  nextCheckAt: string | null;
  /** Every irreversible call of this post the platform received, in order. */
  finalCalls: Array<{ at: string; fault: string | null; answered: string; created: number }>;
  /** Did any irreversible call of this post reach the platform? */
  reachedPlatform: boolean;
  /** The fault that hit the last irreversible call that reached the platform (null: none fired). */
  fault: string | null;
  /** Copies live on the platform. */
  live: number;
  cause: Cause;
  /** One sentence: why Studio could not tell, and what would settle it. */
  why: string;
}

export interface UnconfirmedGroup {
  platform: Platform;
  code: string;
  cause: Cause;
  accountStatus: string;
  count: number;
  live: number;
  why: string;
  /** Post ids (the details are in `unconfirmedExplained`). */
  posts: string[];
}

/**
 * Explains every unconfirmed post and groups them per platform, code, cause and account state.
 *
 * @example
 * const { posts, groups } = explainUnconfirmed({ posts, accounts, studio, journal, copies });
 */
export function explainUnconfirmed(input: {
  posts: Array<FinalPost & { media?: Array<{ type: string }> }>;
  accounts: Map<string, { externalAccountId: string; status: string }>;
  studio: Map<string, StudioView>;
  /** Journal entries per caption. */
  journal: Map<string, JournalEntry[]>;
  copiesByCaption: Map<string, number>;
}): { posts: UnconfirmedExplained[]; groups: UnconfirmedGroup[] } {
  const out: UnconfirmedExplained[] = [];
  for (const p of input.posts) {
    if (p.status !== "unconfirmed") continue;
    const account = input.accounts.get(p.accountId);
    const view = input.studio.get(p.id);
    const calls = input.journal.get(p.caption) ?? [];
    const live = input.copiesByCaption.get(p.caption) ?? 0;
    const createdAny = calls.some((c) => (c.created?.length ?? 0) > 0);
    // The call Studio recorded last (finalCallAt) reached the platform if the journal has a call
    // from then on; earlier ones belong to attempts the platform refused (their marker cleared).
    const finalAt = view?.finalCallAt ? Date.parse(view.finalCallAt) - MARKER_SLACK_MS : Number.NEGATIVE_INFINITY;
    const lastReached = calls.some((c) => c.at >= finalAt);
    const cause: Cause = live > 0 || createdAny ? "live" : lastReached ? "sent_nothing_created" : "never_sent";
    const code = p.lastError?.code ?? "(none)";
    const last = calls.at(-1);
    const e: UnconfirmedExplained = {
      id: p.id,
      platform: p.platform,
      accountId: p.accountId,
      externalAccountId: account?.externalAccountId ?? null,
      accountStatus: account?.status ?? null,
      code,
      message: p.lastError?.message ?? "",
      mediaKind: p.media?.[0]?.type ?? "text",
      finalCallAt: view?.finalCallAt ?? null,
      publishId: view?.publishId ?? null,
      containerId: view?.containerId ?? null,
      nextCheckAt: view?.nextCheckAt ?? null,
      finalCalls: calls.map((c) => ({
        at: new Date(c.at).toISOString(),
        fault: c.fault ?? null,
        answered: String(c.answered ?? "pending"),
        created: c.created?.length ?? 0,
      })),
      reachedPlatform: calls.length > 0,
      fault: last?.fault ?? null,
      live,
      cause,
      why: "",
    };
    e.why = why(e);
    out.push(e);
  }
  const groups = new Map<string, UnconfirmedGroup>();
  for (const e of out) {
    const accountStatus = e.accountStatus ?? "unknown";
    const key = [e.platform, e.code, e.cause, accountStatus].join("|");
    const g = groups.get(key) ?? {
      platform: e.platform,
      code: e.code,
      cause: e.cause,
      accountStatus,
      count: 0,
      live: 0,
      why: e.why,
      posts: [],
    };
    g.count++;
    if (e.live > 0) g.live++;
    g.posts.push(e.id);
    groups.set(key, g);
  }
  return {
    posts: out,
    groups: [...groups.values()].sort(
      (a, b) => a.platform.localeCompare(b.platform) || b.count - a.count || a.cause.localeCompare(b.cause),
    ),
  };
}

const SENT: Record<Cause, string> = {
  never_sent:
    "Its irreversible call never reached the platform (the worker died between recording the final call and sending it): it is not live.",
  sent_nothing_created:
    "Its irreversible call reached the platform, which created nothing, but the answer proved nothing (a 5xx, no answer, a dropped connection): it is not live.",
  live: "The platform created it: it is live.",
};

/** The sentence per post: what happened, why Studio could not tell, what would settle it. */
function why(e: UnconfirmedExplained): string {
  const happened = SENT[e.cause];
  if (e.accountStatus === "needs_reconnect" || e.code === "account.needs_reconnect")
    return `${happened} The account's token was refused (the account needs reconnecting), so Studio cannot read the ${
      e.platform === "facebook" ? "page" : "account"
    } to look for it. Settles when the user reconnects the account (the re-checks then read it) or an operator checks and settles it.`;
  switch (e.platform) {
    case "tiktok":
      if (e.publishId)
        return `${happened} TikTok gave a publish_id but its status never settled within the deadline. Settles when the status does (the re-checks keep asking) or an operator checks the TikTok app.`;
      return `${happened} TikTok never gave a publish_id, so there is no status to ask, and its only listing (video/list) shows public videos once posted, not one in moderation or private: absence cannot be proven. Would settle it: TikTok accepting an idempotency key on init or listing pending publishes, or a per-attempt, expiring media URL whose access log shows TikTok never pulled the video; until then an operator checking the TikTok app.`;
    case "facebook":
      return `${happened} Facebook's listing did not prove absence within the re-checks (see the account's other posts on the page). Settles when the page shows nothing unexplained since the final call, or an operator checks the page.`;
    case "instagram":
      return `${happened} The container's status did not settle it (still IN_PROGRESS or PUBLISHED but not listed). Settles with the container's status or the media listing.`;
  }
}
