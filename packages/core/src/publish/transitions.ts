import { randomUUID } from "node:crypto";
import { publishTiming } from "../config/publishing";
import { isConditionalFailure } from "../db/conditional";
import { conditionalWrite } from "../db/own-write";
import { db } from "../db/service";
import { type PostItem, stored } from "../post/post";
import { shardOf } from "../util/shard";

/**
 * The conditional writes of the publish state machine. Each one names the state it expects
 * (status + version, or status + attemptId) and returns `undefined` when it lost the race —
 * an expected outcome, never an exception.
 *
 *   scheduled ──claim──▶ publishing ──complete──▶ published
 *                          │  ▲   ├──fail────────▶ failed
 *                 takeover │  │   └──unconfirm───▶ unconfirmed ──re-check──▶ published | failed
 *                                                      └──operator (post/post.ts settle)──▶ published | failed
 *            (lease expired)└──┘
 *
 * While `publishing`, the post is in the sparse lease index (leaseShard + leaseUntil): a worker
 * that dies leaves a lease that expires, and the dispatcher's sweep sends it to be reconciled.
 * An `unconfirmed` post stays in the lease index with `leaseUntil` = its next re-check; once
 * reconciliation has given up, `leaseUntil` = NO_MORE_CHECKS: the sweep never picks it again
 * and the operators' list (publish/unconfirmed.ts) reads it from there, until settled.
 *
 *   publishing ──hold──▶ scheduled (heldUntil: an open breaker or a daily cap; the user may
 *                                    cancel or move it; the dispatcher sends it when it is due)
 */

/** How long a worker may hold a post without writing: well over the consumer's 30 s timeout. */
export const leaseMs = () => publishTiming().leaseMs;

/** `leaseUntil` of an unconfirmed post nobody re-checks any more (sorts after every real instant). */
export const NO_MORE_CHECKS = "9999-12-31T23:59:59.999Z";

const iso = (ms: number) => new Date(ms).toISOString();

/** When a scheduled post is due: its time, or later when a breaker or a daily cap holds it. */
export function dueAtMs(post: Pick<PostItem, "scheduledFor" | "heldUntil">): number {
  const at = Date.parse(post.scheduledFor as string);
  const held = post.heldUntil ? Date.parse(post.heldUntil) : Number.NaN;
  return Number.isNaN(held) ? at : Math.max(at, held);
}

async function conditional<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (err) {
    if (isConditionalFailure(err)) return undefined;
    throw err;
  }
}

/**
 * A write that starts an attempt (claim, takeover) under a fresh `attemptId`. If its answer is
 * lost after DynamoDB applied it, the SDK's retry fails the condition against this very write;
 * taken at its word that is "lost the race", and the post would sit in `publishing` until its
 * lease expired (minutes late, one attempt more). So on a conditional failure the post is read
 * back (consistently): holding our attemptId, the write is ours (db/own-write.ts), and the attempt
 * goes on. A random UUID nobody else can have written is the evidence.
 */
async function startAttempt(
  postId: string,
  write: (attemptId: string) => Promise<PostItem>,
): Promise<PostItem | undefined> {
  const attemptId = randomUUID();
  const outcome = await conditionalWrite({
    what: "publish.start_attempt",
    write: () => write(attemptId),
    readBack: () => stored(postId),
    isOurs: (stored) => stored.attemptId === attemptId,
    answer: (stored) => stored as PostItem,
  });
  return outcome.applied ? outcome.value : undefined;
}

/** What a preparation left on the post, when it was made for the version being claimed. */
export function preparedFor(post: PostItem): PostItem | undefined {
  return post.preparedVersion === post.version && post.preparedAt ? post : undefined;
}

const PREPARED = ["preparedVersion", "preparedAt", "preparedContainerId", "preparedPrivacyLevel"] as const;

/**
 * Claims a scheduled post for one publish attempt. Conditional on the status and the version
 * the message was sent for: a second delivery, a second dispatcher or a stale message loses.
 * A preparation made for this very version (publish/prepare.ts) becomes the attempt's own
 * (the container and when it was created; step `prepared`: its media were checked then); any
 * other is dropped with it, never used. `carried`: a preparation that came in the publish message
 * (`prepare.inMessage`), for the version the message names — the one this claim is conditional on.
 */
export function claim(
  post: PostItem,
  now: number,
  receivedAt = now,
  carried?: { privacyLevel?: string },
  finalCall?: { pullTicket: string },
): Promise<PostItem | undefined> {
  const prepared = preparedFor(post);
  const privacyLevel = carried?.privacyLevel ?? prepared?.preparedPrivacyLevel;
  // `finalCall`: the attempt's final call is recorded in the claim itself (TikTok, prepared, with
  // a media ticket: the worker sends init next; see worker.ts `claimAndMarkFinalCall`).
  const marked = finalCall ? { finalCallAt: iso(now), pullTicket: finalCall.pullTicket, step: "final_call" } : {};
  return startAttempt(post.id, async (attemptId) => {
    const { data } = await db()
      .entities.post.patch({ id: post.id })
      .set({
        status: "publishing",
        version: post.version + 1,
        attempts: post.attempts + 1,
        attemptId,
        leaseShard: shardOf(post.id),
        leaseUntil: iso(now + leaseMs()),
        step: prepared || carried ? "prepared" : "claimed",
        ...(prepared?.preparedContainerId
          ? { containerId: prepared.preparedContainerId, processingSince: prepared.preparedAt }
          : {}),
        ...(privacyLevel ? { privacyLevel } : {}),
        receivedAt: iso(receivedAt),
        claimedAt: iso(now),
        updatedAt: iso(now),
        ...marked,
      })
      .remove(["dueShard", "dueAt", ...PREPARED])
      .where((a, op) => `${op.eq(a.status, "scheduled")} AND ${op.eq(a.version, post.version)}`)
      .go({ response: "all_new" });
    return data as PostItem;
  });
}

/**
 * Takes over a post whose lease expired: a `publishing` post (its worker died, or it released
 * the lease to wait for a retry or a poll — a new publish attempt), or an `unconfirmed` post
 * whose re-check is due (not a publish attempt). Conditional on the post's status, the previous
 * attemptId and the lease really being expired, so two sweepers, or a sweeper and a retry,
 * cannot both win.
 */
export function takeover(post: PostItem, now: number): Promise<PostItem | undefined> {
  const status = post.status === "unconfirmed" ? "unconfirmed" : "publishing";
  return startAttempt(post.id, async (attemptId) => {
    const { data } = await db()
      .entities.post.patch({ id: post.id })
      .set({
        attempts: post.attempts + (status === "publishing" ? 1 : 0),
        attemptId,
        leaseShard: shardOf(post.id),
        leaseUntil: iso(now + leaseMs()),
        updatedAt: iso(now),
      })
      .where(
        (a, op) =>
          `${op.eq(a.status, status)} AND ${op.eq(a.attemptId, post.attemptId as string)} AND ${op.lte(a.leaseUntil, iso(now))}`,
      )
      .go({ response: "all_new" });
    return data as PostItem;
  });
}

/**
 * Saves what was prepared ahead for a `scheduled` post at `post.version`, without bumping the
 * version: conditional on the post still being scheduled at that version, so an edit, a move,
 * a cancel or a claim in between makes it fail (the preparation is then simply not used: a
 * container nobody publishes expires on the platform).
 */
export function savePrepared(
  post: PostItem,
  patch: Pick<PostItem, "preparedAt"> & Partial<Pick<PostItem, "preparedContainerId" | "preparedPrivacyLevel">>,
): Promise<PostItem | undefined> {
  return conditional(async () => {
    const { data } = await db()
      .entities.post.patch({ id: post.id })
      .set({ ...patch, preparedVersion: post.version })
      .where((a, op) => `${op.eq(a.status, "scheduled")} AND ${op.eq(a.version, post.version)}`)
      .go({ response: "all_new" });
    return data as PostItem;
  });
}

/** Fields a step may persist while holding the lease. */
export type StepPatch = Partial<
  Pick<
    PostItem,
    | "step"
    | "containerId"
    | "publishId"
    | "finalCallAt"
    | "pullTicket"
    | "externalPostId"
    | "platformPostId"
    | "processingSince"
    | "retries"
    | "lastError"
    | "reconcileAttempts"
  >
>;

/**
 * Persists a step's handle (container id, publish id, finalCallAt …) and renews the lease, or
 * releases it until `leaseUntilMs` (waiting for a retry or a poll). Conditional on holding the
 * attempt. `remove` clears handles (an expired container, a final call known not to have
 * happened).
 */
export function saveStep(
  post: PostItem,
  patch: StepPatch,
  now: number,
  opts: {
    leaseUntilMs?: number;
    remove?: Array<"containerId" | "publishId" | "finalCallAt">;
    /**
     * Guards the irreversible call: `null` = only if no final call is recorded (so two copies of
     * one message cannot both send it); a string = only if that is still the recorded one (so
     * clearing it cannot erase another copy's fresh marker).
     */
    expectFinalCallAt?: string | null;
  } = {},
): Promise<PostItem | undefined> {
  return conditional(async () => {
    let q = db()
      .entities.post.patch({ id: post.id })
      .set({
        ...patch,
        leaseShard: shardOf(post.id),
        leaseUntil: iso(opts.leaseUntilMs ?? now + leaseMs()),
        updatedAt: iso(now),
      });
    if (opts.remove?.length) q = q.remove(opts.remove) as typeof q;
    const { data } = await q
      .where((a, op) => {
        const held = `${op.eq(a.status, "publishing")} AND ${op.eq(a.attemptId, post.attemptId as string)}`;
        if (opts.expectFinalCallAt === undefined) return held;
        if (opts.expectFinalCallAt === null) return `${held} AND ${op.notExists(a.finalCallAt)}`;
        return `${held} AND ${op.eq(a.finalCallAt, opts.expectFinalCallAt)}`;
      })
      .go({ response: "all_new" });
    return data as PostItem;
  });
}

/** publishing → published (the platform confirmed it), with the ids the platform gave. */
export function complete(
  post: PostItem,
  ids: { externalPostId?: string; platformPostId?: string },
  now: number,
): Promise<PostItem | undefined> {
  return finish(post, now, ["publishing", "unconfirmed"], {
    status: "published",
    ...(ids.externalPostId ? { externalPostId: ids.externalPostId } : {}),
    ...(ids.platformPostId ? { platformPostId: ids.platformPostId } : {}),
    publishedAt: iso(now),
    step: "published",
  });
}

/**
 * publishing → scheduled, due at `untilMs`: an open breaker or a daily cap holds the post back
 * for longer than is worth holding a lease. Back in the due index, the user can cancel or move
 * it; `heldUntil` and `lastError` say when it will go out and why. Only before anything
 * irreversible: conditional on no final call and no TikTok publish id (a container, reversible,
 * is dropped so a later attempt starts afresh with the post's current caption).
 */
export function hold(
  post: PostItem,
  untilMs: number,
  reason: { code: string; message: string },
  now: number,
): Promise<PostItem | undefined> {
  const heldUntil = iso(untilMs);
  return conditional(async () => {
    const { data } = await db()
      .entities.post.patch({ id: post.id })
      .set({
        status: "scheduled",
        version: post.version + 1,
        heldUntil,
        dueShard: shardOf(post.id),
        dueAt: `${heldUntil}#${post.id}`,
        lastError: reason,
        step: "held",
        updatedAt: iso(now),
      })
      .remove(["leaseShard", "leaseUntil", "containerId", "processingSince"])
      .where(
        (a, op) =>
          `${op.eq(a.status, "publishing")} AND ${op.eq(a.attemptId, post.attemptId as string)} AND ${op.notExists(a.finalCallAt)} AND ${op.notExists(a.publishId)}`,
      )
      .go({ response: "all_new" });
    return data as PostItem;
  });
}

/** publishing → failed: known not to be live; `message` is a sentence a user can act on. */
export function fail(post: PostItem, code: string, message: string, now: number): Promise<PostItem | undefined> {
  return finish(post, now, ["publishing", "unconfirmed"], {
    status: "failed",
    lastError: { code, message },
    step: "failed",
  });
}

/**
 * publishing → unconfirmed: the outcome could not be established. The post stays in the lease
 * index with `leaseUntil` = the next re-check, so reconciliation keeps asking on a slow schedule.
 */
export function unconfirm(
  post: PostItem,
  code: string,
  message: string,
  now: number,
  nextCheckMs: number | undefined,
): Promise<PostItem | undefined> {
  return conditional(async () => {
    const q = db()
      .entities.post.patch({ id: post.id })
      .set({
        status: "unconfirmed",
        version: post.version + (post.status === "unconfirmed" ? 0 : 1),
        lastError: { code, message },
        reconcileAttempts: (post.reconcileAttempts ?? 0) + 1,
        step: "unconfirmed",
        updatedAt: iso(now),
        leaseShard: shardOf(post.id),
        leaseUntil: nextCheckMs !== undefined ? iso(nextCheckMs) : NO_MORE_CHECKS,
      });
    const { data } = await q
      .where(
        (a, op) =>
          `(${op.eq(a.status, "publishing")} OR ${op.eq(a.status, "unconfirmed")}) AND ${op.eq(a.attemptId, post.attemptId as string)}`,
      )
      .go({ response: "all_new" });
    return data as PostItem;
  });
}

function finish(
  post: PostItem,
  now: number,
  from: PostItem["status"][],
  set: Partial<PostItem>,
): Promise<PostItem | undefined> {
  // A published post carries no error: the retries it survived are in the logs, not on the post.
  const clear = set.status === "published" ? (["lastError"] as const) : [];
  return conditional(async () => {
    const { data } = await db()
      .entities.post.patch({ id: post.id })
      .set({ ...set, version: post.version + 1, updatedAt: iso(now) })
      .remove(["leaseShard", "leaseUntil", ...clear])
      .where(
        (a, op) =>
          `(${from.map((s) => op.eq(a.status, s)).join(" OR ")}) AND ${op.eq(a.attemptId, post.attemptId as string)}`,
      )
      .go({ response: "all_new" });
    return data as PostItem;
  });
}
