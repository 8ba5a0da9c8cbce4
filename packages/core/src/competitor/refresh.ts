import type { AccountItem } from "../account/account";
import { freshCredentials, ReconnectRequiredError } from "../account/tokens";
import { env } from "../config/env";
import { metricsConfig } from "../config/metrics";
import { conditionalWrite } from "../db/own-write";
import { db } from "../db/service";
import * as JobRun from "../job-run/job-run";
import { PlatformError } from "../platform/errors";
import {
  facebookPageFields,
  instagramBusinessDiscovery,
  isInvalidHandle,
  type PublicAccountNumbers,
} from "../platform/insights";
import type { CompetitorsMessage } from "../queue/messages";
import { nowIso, ttlInDays } from "../util/time";
import { type CompetitorItem, TIKTOK_UNSUPPORTED } from "./competitor";
import type { CompetitorStatus } from "./competitor.entity";

/**
 * The daily refresh of one competitor (one message of the competitors fan-out):
 * - TikTok: `unsupported` (no official API; nothing invented);
 * - no active account of the workspace on that platform to ask with: `needs_account`;
 * - Instagram: business discovery asked with a connected Instagram account; Facebook: the
 *   page's public fields asked with a connected page's token;
 * - the platform says the handle does not exist or is not public/business: `invalid_handle`;
 * - anything else fails: retried by the queue, and on the last delivery `error` with the reason
 *   (the earlier snapshots stay).
 * A success writes one snapshot (`followers`, `posts`, `avgLikes`, `avgComments`, where known),
 * keyed by the run's slot: a redelivery or replay of the run's message writes none and counts
 * `alreadyStored` instead of a second snapshot.
 *
 * @example
 * await refreshCompetitor(message, { receiveCount: 1, maxReceiveCount: 5 });
 */
export async function refreshCompetitor(
  msg: CompetitorsMessage,
  delivery: { receiveCount: number; maxReceiveCount: number },
  now = Date.now(),
): Promise<void> {
  const done = (counts: Record<string, number>, failures: JobRun.Failure[] = []) =>
    JobRun.completePart(msg, msg.competitorId, { counts, failures });
  const c = (await db().entities.competitor.get({ workspaceId: msg.workspaceId, id: msg.competitorId }).go()).data;
  if (!c) return void (await done({ gone: 1 }));
  if (c.platform === "tiktok") {
    await setStatus(c, "unsupported", TIKTOK_UNSUPPORTED, now);
    return void (await done({ unsupported: 1 }));
  }
  const asker = await accountToAskWith(c.workspaceId, c.platform);
  if (!asker) {
    const reason = `Connect a ${c.platform === "instagram" ? "Instagram professional" : "Facebook page"} account to this workspace: ${c.platform} only answers questions about other accounts through one.`;
    await setStatus(c, "needs_account", reason, now);
    return void (await done({ needsAccount: 1 }, [{ ref: c.id, reason }]));
  }
  try {
    const numbers = await ask(c, asker);
    const stored = await storeSnapshot(c, msg, toValues(numbers), now);
    await setStatus(c, "active", undefined, now);
    await done(stored ? { refreshed: 1, snapshots: 1 } : { refreshed: 1, alreadyStored: 1 });
  } catch (err) {
    if (isInvalidHandle(err)) {
      const reason =
        `${c.platform} says @${c.handle} does not exist or is not a public ${c.platform === "instagram" ? "business or creator" : ""} account.`.replace(
          "  ",
          " ",
        );
      await setStatus(c, "invalid_handle", reason, now);
      return void (await done({ invalidHandle: 1 }, [{ ref: c.id, reason }]));
    }
    const reason = `The last refresh failed: ${(err as Error).message}`;
    const final =
      delivery.receiveCount >= delivery.maxReceiveCount ||
      err instanceof ReconnectRequiredError ||
      (err instanceof PlatformError && (err.kind === "permanent" || err.kind === "reconnect"));
    if (!final) throw err; // the queue retries it (transient, rate limit)
    await setStatus(c, "error", reason, now);
    await done({ error: 1 }, [{ ref: c.id, reason }]);
  }
}

async function ask(c: CompetitorItem, asker: AccountItem): Promise<PublicAccountNumbers> {
  const call = async (force: boolean, stale?: string) => {
    const { creds } = await freshCredentials(asker.id, { force, staleAccessToken: stale });
    const opts = { timeoutMs: metricsConfig.timeoutMs() };
    try {
      return c.platform === "instagram"
        ? await instagramBusinessDiscovery({ ...opts, baseUrl: env.instagramApiUrl() }, creds, c.handle)
        : await facebookPageFields({ ...opts, baseUrl: env.facebookApiUrl() }, creds, c.handle);
    } catch (err) {
      if (!force && err instanceof PlatformError && err.kind === "auth") return call(true, creds.accessToken);
      throw err;
    }
  };
  return call(false);
}

/** An `active` account of the workspace on `platform` (the first one), or undefined. */
async function accountToAskWith(workspaceId: string, platform: "instagram" | "facebook") {
  const { data } = await db().entities.account.query.byWorkspace({ workspaceId, platform }).go({ pages: "all" });
  return data.find((a) => a.status === "active");
}

/** followers, posts, avgLikes, avgComments: each only where the platform gave it. */
function toValues(n: PublicAccountNumbers): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof n.followers === "number") out.followers = n.followers;
  if (typeof n.posts === "number") out.posts = n.posts;
  const avg = (xs: Array<number | undefined>) => {
    const known = xs.filter((x): x is number => typeof x === "number");
    return known.length ? Math.round((known.reduce((a, b) => a + b, 0) / known.length) * 10) / 10 : undefined;
  };
  const likes = avg((n.recent ?? []).map((m) => m.likes));
  const comments = avg((n.recent ?? []).map((m) => m.comments));
  if (likes !== undefined) out.avgLikes = likes;
  if (comments !== undefined) out.avgComments = comments;
  return out;
}

async function setStatus(c: CompetitorItem, status: CompetitorStatus, reason: string | undefined, now: number) {
  const patch = db().entities.competitor.patch({ workspaceId: c.workspaceId, id: c.id });
  const set = { status, lastRefreshedAt: nowIso(now), ...(reason ? { statusReason: reason } : {}) };
  await (reason ? patch.set(set) : patch.set(set).remove(["statusReason"])).go({ response: "none" });
}

/** The run's snapshot, created once (conditional on its slot): false when the run already has it. */
async function storeSnapshot(
  c: CompetitorItem,
  msg: CompetitorsMessage,
  values: Record<string, number>,
  now: number,
): Promise<boolean> {
  const slot = msg.slot ?? msg.runId;
  const capturedAt = nowIso(now);
  // Our own create whose answer was lost (the SDK's retry fails on it) is ours by its instant.
  const outcome = await conditionalWrite({
    what: "competitorMetrics.create",
    write: async () => {
      await db()
        .entities.competitorMetrics.create({
          competitorId: c.id,
          workspaceId: c.workspaceId,
          slot,
          runId: msg.runId,
          capturedAt,
          values,
          ttl: ttlInDays(400, now),
        })
        .go({ response: "none" });
      return true;
    },
    readBack: async () =>
      (await db().entities.competitorMetrics.get({ competitorId: c.id, slot }).go({ consistent: true })).data ??
      undefined,
    isOurs: (m) => m.runId === msg.runId && m.capturedAt === capturedAt,
    answer: () => true,
  });
  return outcome.applied;
}
