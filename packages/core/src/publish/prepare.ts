import { freshCredentials } from "../account/tokens";
import { publishTiming } from "../config/publishing";
import { checkMedia } from "../media/check";
import type { PostItem } from "../post/post";
import { sendMessage } from "../queue/sqs";
import { logger, redactString } from "../util/logger";
import { openBreaker } from "./breaker";
import type { Budget } from "./budget";
import { InjectedCrash } from "./crash";
import { FlowContext } from "./flows/context";
import { privacyLevelFor } from "./flows/tiktok";
import { dueAtMs, savePrepared } from "./transitions";

/**
 * Prepares a scheduled post ahead of its time (a `prepare` message, sent with its publish
 * message to arrive `prepare.leadMs` before the post is due), so that at its time only the
 * irreversible steps are left:
 * - Instagram: checks the media and creates the container. Creating a container publishes
 *   nothing (only media_publish does) and a container lives 24 h; at the post's time the
 *   attempt asks its status (FINISHED) and publishes it.
 * - TikTok: checks the media and reads creator_info (the privacy level to post with), both
 *   reads, so that at its time only init and the status polls are left.
 * - Any platform given a lead: checks the media (the attempt then skips that check). Off by
 *   default on Facebook: a write per post to save one HEAD request at the post's time.
 *
 * The result is saved conditional on the post still being `scheduled` at the version the
 * message names, without bumping it: the claim takes it only for that version, so a caption or
 * media edit, a move or a cancel in between leaves it unused (an unused container is never
 * published; it expires on the platform). Nothing here changes the post's status or fails it:
 * any error (platform, media, token, table) is logged and the attempt at the post's time does
 * the work as if nothing had been prepared.
 *
 * @returns a note for the log.
 */
export async function preparePost(
  post: PostItem,
  msg: { version: number; sendsPublish?: boolean },
  now: () => number,
  budget: Budget,
): Promise<string> {
  if (post.status !== "scheduled" || post.version !== msg.version) return "stale prepare message";
  if (msg.sendsPublish) return prepareInMessage(post, now, budget);
  if (post.preparedVersion === post.version) return "already prepared";
  if (!publishTiming().prepare.leadMs[post.platform]) return "nothing to prepare on this platform";
  // With less than a second left the publish message is about to arrive: it does the work.
  if (dueAtMs(post) - now() < 1_000) return "too close to its time to prepare";
  try {
    const ahead = await readAhead(post, now, budget);
    if (!ahead.ctx) return ahead.note;
    const ctx = ahead.ctx;
    let saved: PostItem | undefined;
    if (post.platform === "instagram") {
      const content = { caption: post.caption, media: post.media };
      const { containerId } = await ctx.call((c) => ctx.api.instagram.createContainer(c, content));
      saved = await savePrepared(post, { preparedContainerId: containerId, preparedAt: new Date(now()).toISOString() });
    } else if (post.platform === "tiktok") {
      // creator_info is a read: at the post's time only init and the status polls are left.
      const privacyLevel = privacyLevelFor(await ctx.call((c) => ctx.api.tiktok.creatorInfo(c)));
      saved = await savePrepared(post, {
        preparedPrivacyLevel: privacyLevel,
        preparedAt: new Date(now()).toISOString(),
      });
    } else {
      // Elsewhere only the media check (when a lead is configured for the platform).
      saved = await savePrepared(post, { preparedAt: new Date(now()).toISOString() });
    }
    await backOffIfBusy(post, ctx, now);
    return saved ? "prepared" : "changed while preparing: not used";
  } catch (err) {
    return prepareFailed(post, err);
  }
}

/**
 * The preparation carried by the publish message (`prepare.inMessage`): reads creator_info (on
 * TikTok) and checks the media, writes nothing, then sends the post's publish message — with
 * what was read, or plain if anything failed. A failed send throws: the queue delivers this
 * message again (and the dispatcher re-sends a post still `scheduled` 2 minutes past its time).
 */
async function prepareInMessage(post: PostItem, now: () => number, budget: Budget): Promise<string> {
  let prepared: { privacyLevel?: string } | undefined;
  let note: string;
  try {
    if (dueAtMs(post) - now() < 1_000) note = "too close to its time to prepare";
    else {
      const ahead = await readAhead(post, now, budget);
      const ctx = ahead.ctx;
      if (!ctx) note = ahead.note;
      else {
        prepared =
          post.platform === "tiktok"
            ? { privacyLevel: privacyLevelFor(await ctx.call((c) => ctx.api.tiktok.creatorInfo(c))) }
            : {};
        await backOffIfBusy(post, ctx, now);
        note = "prepared";
      }
    }
  } catch (err) {
    prepared = undefined;
    note = prepareFailed(post, err);
  }
  const early = publishTiming().delivery.arriveEarlyMs;
  // (SQS delays stop at 15 min; a message arriving earlier than that is sent back with the rest.)
  const delaySeconds = Math.min(900, Math.floor(Math.max(0, dueAtMs(post) - now() - early) / 1000));
  await sendMessage(
    "publish",
    { kind: "publish", postId: post.id, version: post.version, ...(prepared ? { prepared } : {}) },
    delaySeconds,
  );
  return `${note}; publish message sent${prepared ? " with it" : ""}`;
}

/** Token, breaker and media: what every preparation needs before anything else. */
async function readAhead(
  post: PostItem,
  now: () => number,
  budget: Budget,
): Promise<{ note: string; ctx?: FlowContext }> {
  const inv = publishTiming().invocation;
  const { account, creds } = await freshCredentials(post.accountId, {
    waitMs: budget.timeoutFor(inv.lockWaitMs),
    timeoutMs: () => budget.timeoutFor(inv.callTimeoutMs),
  });
  if (account.breakerUntil && Date.parse(account.breakerUntil) > now())
    return { note: "account breaker open: not prepared" };
  const media = await checkMedia(post.platform, post.media, {
    timeoutMs: budget.timeoutFor(inv.mediaProbeMs),
    deadlineAt: budget.deadline,
  });
  if (!media.ok) return { note: "media check failed: left to the attempt at the post's time" };
  return { note: "", ctx: new FlowContext(post, creds, now, budget) };
}

/** Usage at ≥ 90% seen while preparing: the account's breaker opens (for that token only). */
async function backOffIfBusy(post: PostItem, ctx: FlowContext, now: () => number) {
  if (ctx.usageBackoffMs)
    await openBreaker({ id: post.accountId, tokenVersion: ctx.tokenVersion }, ctx.usageBackoffMs, now());
}

function prepareFailed(post: PostItem, err: unknown): string {
  if (err instanceof InjectedCrash) throw err;
  const error = redactString(err instanceof Error ? err.message : String(err));
  logger.info("prepare failed: the attempt at the post's time does the work", { postId: post.id, error });
  return "prepare failed";
}
