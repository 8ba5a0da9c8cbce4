import { createHash } from "node:crypto";
import { createConversions, type EntityItem } from "electrodb";
import * as Account from "../account/account";
import { conditionalWrite, hasWrite, newWriteToken, rememberWrite } from "../db/own-write";
import { db } from "../db/service";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { enqueueIfDueSoon } from "../queue/publish-enqueue";
import { boundedPage } from "../util/bounded-page";
import { withCursor } from "../util/cursor";
import { newId } from "../util/id";
import { logger, redactString } from "../util/logger";
import { shardOf } from "../util/shard";
import { nowIso } from "../util/time";
import { type Platform, type PostEntity, type PostStatus, UNSCHEDULED } from "./post.entity";
import { checkCaption, checkMedia, checkMediaLinks, checkScheduleTime, NEARBY_WINDOW_MS } from "./rules";

/** A post as stored. */
export type PostItem = EntityItem<typeof PostEntity>;

export interface MediaInput {
  url: string;
  type: "image" | "video";
}

/** A post as the API shows it: no lease, attempt, shard or queue bookkeeping. */
export interface PostView {
  id: string;
  accountId: string;
  platform: Platform;
  caption: string;
  /** The first caption, kept forever (every change: `GET /v1/posts/{id}/edits`). */
  originalCaption: string;
  media: MediaInput[];
  status: PostStatus;
  scheduledFor: string | null;
  attempts: number;
  externalPostId: string | null;
  platformPostId: string | null;
  removedOnPlatformAt: string | null;
  publishedAt: string | null;
  /** Held back by an open breaker or a daily cap: goes out at this instant unless moved or cancelled. */
  heldUntil: string | null;
  lastError: { code: string; message: string } | null;
  /** The weekly plan that proposed it (a draft made by the planner). */
  planId: string | null;
  /** The post it was repurposed from. */
  sourcePostId: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** Another non-cancelled post of the same account within NEARBY_WINDOW_MS. Never blocks. */
export interface NearbyWarning {
  code: "post.nearby_post";
  message: string;
  postId: string;
  scheduledFor: string;
}

export interface CreatePostInput {
  accountId: string;
  caption: string;
  media: MediaInput[];
  /** ISO instant (already validated as one); stored as UTC. */
  scheduledFor?: string;
}

/**
 * Creates a `draft` post for one of the workspace's accounts. Media and caption rules of the
 * account's platform apply now and again at scheduling; a planned `scheduledFor` must be in the
 * future and at most 3 calendar months ahead.
 *
 * With an `idempotencyKey` (the `Idempotency-Key` header) the post's id derives from the
 * workspace and the key: a client retrying a request whose answer it lost gets the same post
 * back (`replayed`), never a second one; the same key with another body is 409
 * `idempotency.key_reused`. The key is remembered as long as the post exists.
 *
 * @example
 * const { post, warnings } = await Post.create(workspaceId, { accountId, caption: "Hi", media: [] });
 */
export async function create(
  workspaceId: string,
  input: CreatePostInput,
  now = Date.now(),
  opts: { idempotencyKey?: string } = {},
): Promise<{ post: PostView; warnings: NearbyWarning[]; replayed: boolean }> {
  const account = await Account.find(workspaceId, input.accountId);
  if (!account) throw new NotFoundError("account.not_found", "Account not found.");
  checkMedia(account.platform, input.media);
  checkMediaLinks(input.media);
  checkCaption(account.platform, input.caption);
  const scheduledFor = input.scheduledFor ? checkScheduleTime(input.scheduledFor, now) : undefined;
  const requestHash = opts.idempotencyKey ? sha256(JSON.stringify(input)) : undefined;
  const id = opts.idempotencyKey
    ? `post_${sha256(`${workspaceId}\nposts\n${opts.idempotencyKey}`).slice(0, 22)}`
    : newId("post");
  const at = nowIso(now);
  const item: PostItem = {
    id,
    workspaceId,
    requestHash,
    accountId: account.id,
    platform: account.platform,
    caption: input.caption,
    originalCaption: input.caption,
    media: input.media.map((m) => ({ url: m.url, type: m.type })),
    status: "draft",
    version: 1,
    scheduledFor,
    calendarAt: scheduledFor ?? UNSCHEDULED,
    attempts: 0,
    createdAt: at,
    updatedAt: at,
  };
  // A lost answer retried by the SDK fails its attribute_not_exists condition on our own item:
  // recognised by our creation instant (db/own-write.ts), so the answer is still 201, once.
  const outcome = await conditionalWrite({
    what: "post.create",
    write: async () => {
      await db().entities.post.create(item).go({ response: "none" });
      return item;
    },
    readBack: () => stored(id),
    isOurs: (p) => p.workspaceId === workspaceId && p.createdAt === at,
    answer: () => item,
  });
  let post = item;
  if (!outcome.applied) {
    // Only a keyed id can be taken by another request: the client's earlier one with this key.
    const earlier = outcome.current;
    if (!requestHash || !earlier || earlier.workspaceId !== workspaceId) throw outcome.error;
    if (earlier.requestHash !== requestHash) {
      throw new ConflictError(
        "idempotency.key_reused",
        "This Idempotency-Key was already used with a different request.",
        { id },
      );
    }
    post = earlier;
  }
  const warnings = post.scheduledFor ? await nearbyPosts(post.accountId, id, post.scheduledFor) : [];
  return { post: toView(post), warnings, replayed: !outcome.applied };
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("base64url");

/** The post, or 404 `post.not_found` when absent or another workspace's. */
export async function get(workspaceId: string, id: string): Promise<PostView> {
  return toView(await load(workspaceId, id));
}

/** The stored post, or 404 `post.not_found` when absent or another workspace's. */
export async function load(workspaceId: string, id: string, opts: { consistent?: boolean } = {}): Promise<PostItem> {
  const { data } = await db()
    .entities.post.get({ id })
    .go({ consistent: opts.consistent ?? false });
  if (!data || data.workspaceId !== workspaceId) throw new NotFoundError("post.not_found", "Post not found.");
  return data;
}

export interface ListPostsFilter {
  status?: PostStatus;
  accountId?: string;
  /** Inclusive, on scheduledFor. */
  from?: string;
  /** Exclusive, on scheduledFor. */
  to?: string;
  limit?: number;
  cursor?: string | null;
}

/**
 * The workspace's posts sorted by `scheduledFor` ascending (unscheduled drafts last), from the
 * calendar indexes: never a scan, and never another workspace's items.
 *
 * - `accountId`: the account is read first (one GetItem); unknown and another workspace's
 *   answer the same empty page after the same single read, so nothing tells them apart. Only
 *   then is the account's partition (`byAccount`, all of it this workspace's) queried.
 * - `status` (and `from`/`to` on the account index) are filters: a request reads at most
 *   MAX_ITEMS_READ items whatever they match, so a page may hold fewer than `limit` items,
 *   even none, with a `nextCursor` to continue (docs/data-model.md, "Bounded reads").
 *
 * @example
 * const { items, nextCursor } = await Post.list(ws, { from: "2026-12-01T00:00:00Z", limit: 50 });
 */
export async function list(
  workspaceId: string,
  filter: ListPostsFilter = {},
): Promise<{ items: PostView[]; nextCursor: string | null }> {
  const limit = filter.limit ?? 50;
  if (filter.from && filter.to && new Date(filter.from).getTime() > new Date(filter.to).getTime())
    throw new ValidationError("validation_failed", "Invalid request.", [
      { path: "to", message: "Must not be before from." },
    ]);
  if (filter.accountId && !(await Account.find(workspaceId, filter.accountId))) return { items: [], nextCursor: null };
  const ranged = filter.from !== undefined || filter.to !== undefined;
  const lower = filter.from ? new Date(filter.from).toISOString() : "";
  const upper = filter.to ? new Date(filter.to).toISOString() : UNSCHEDULED;
  const post = db().entities.post;
  const pattern = filter.accountId ? "byAccount" : "byWorkspace";
  const base = filter.accountId
    ? post.query.byAccount({ accountId: filter.accountId })
    : post.query.byWorkspace({ workspaceId });
  // `between` on a partial sort key: the upper bound `…#calendarAt_<to>` sorts before every
  // `…#calendarAt_<to>#id_…`, so `to` is exclusive; the filter below says so explicitly.
  const query = ranged ? base.between({ calendarAt: lower }, { calendarAt: upper }) : base;
  const conditions = (
    a: Parameters<Parameters<typeof query.where>[0]>[0],
    op: Parameters<Parameters<typeof query.where>[0]>[1],
  ) =>
    [
      ranged ? op.lt(a.calendarAt, upper) : "",
      ranged && lower ? op.gte(a.calendarAt, lower) : "",
      filter.status ? op.eq(a.status, filter.status) : "",
    ]
      .filter(Boolean)
      .join(" AND ");
  const filtered = Boolean(filter.status) || ranged;
  const toCursor = createConversions(post).byAccessPattern[pattern].fromComposite.toCursor;
  const { items, nextCursor } = await withCursor(filter.cursor, () =>
    boundedPage<PostItem>({
      read: ({ limit: size, cursor }) =>
        (filtered ? query.where(conditions) : query).go({ limit: size, pages: 1, cursor }) as Promise<{
          data: PostItem[];
          cursor: string | null;
        }>,
      cursorAfter: (p) => toCursor(p),
      limit,
      cursor: filter.cursor ?? null,
      filtered,
    }),
  );
  return { items: items.map(toView), nextCursor };
}

/**
 * Schedules a `draft`, `failed` or `cancelled` post. `failed` means known not live, so a new
 * scheduling is safe; it starts a fresh publication (error, retries and platform handles reset).
 * The account must be active (409 `account.needs_reconnect`). Posts due before the dispatcher's
 * next run are enqueued at once, with their delay.
 *
 * @example
 * const { post, warnings } = await Post.schedule(ws, id, "2026-12-01T09:00:00+01:00");
 */
export async function schedule(
  workspaceId: string,
  id: string,
  when: string,
  now = Date.now(),
): Promise<{ post: PostView; warnings: NearbyWarning[] }> {
  const current = await load(workspaceId, id);
  if (!["draft", "failed", "cancelled"].includes(current.status)) throw stateConflict(current, "scheduled");
  await requireActiveAccount(workspaceId, current.accountId);
  checkMedia(current.platform, current.media);
  checkMediaLinks(current.media);
  checkCaption(current.platform, current.caption);
  const scheduledFor = checkScheduleTime(when, now);
  // Timeline: read (status S, version v) → write only if still (S, v). A worker or another
  // request that moved the post in between makes this write fail: 409, never a lost update.
  const updated = await transition(current, now, {
    set: { status: "scheduled", ...scheduleKeys(id, scheduledFor) },
    remove: [
      "lastError",
      "retries",
      "finalCallAt",
      "containerId",
      "publishId",
      "step",
      "reconcileAttempts",
      "heldUntil",
      "processingSince",
    ],
  });
  await enqueueSoon(updated);
  return { post: toView(updated), warnings: await nearbyPosts(updated.accountId, id, scheduledFor) };
}

/**
 * Moves a `draft` or `scheduled` post to another time (same checks as scheduling). Once
 * publishing has started, or the post is final, 409 `post.state_conflict`.
 *
 * @example
 * const { post, warnings } = await Post.move(ws, id, "2026-12-01T10:00:00Z");
 */
export async function move(
  workspaceId: string,
  id: string,
  when: string,
  now = Date.now(),
): Promise<{ post: PostView; warnings: NearbyWarning[] }> {
  const current = await load(workspaceId, id);
  if (current.status !== "draft" && current.status !== "scheduled") throw stateConflict(current, "moved");
  if (current.status === "scheduled") await requireActiveAccount(workspaceId, current.accountId);
  const scheduledFor = checkScheduleTime(when, now);
  const updated = await transition(current, now, {
    set: current.status === "scheduled" ? scheduleKeys(id, scheduledFor) : { scheduledFor, calendarAt: scheduledFor },
    // A post held back by a breaker or a daily cap goes out at the time the user chose now.
    remove: current.heldUntil ? ["heldUntil", "lastError"] : [],
  });
  await enqueueSoon(updated);
  return { post: toView(updated), warnings: await nearbyPosts(updated.accountId, id, scheduledFor) };
}

/**
 * Cancels a `draft` or `scheduled` post; it leaves the due index, so the dispatcher never sends
 * it, and a message already in the queue is dropped by the worker (its version is stale).
 *
 * @example
 * const post = await Post.cancel(ws, id);
 */
export async function cancel(workspaceId: string, id: string, now = Date.now()): Promise<PostView> {
  const current = await load(workspaceId, id);
  if (current.status !== "draft" && current.status !== "scheduled") throw stateConflict(current, "cancelled");
  const updated = await transition(current, now, {
    set: { status: "cancelled" },
    remove: ["dueShard", "dueAt", ...(current.heldUntil ? (["heldUntil"] as const) : [])],
  });
  return toView(updated);
}

export interface SettleInput {
  outcome: "published" | "failed";
  externalPostId?: string;
  reason?: string;
}

/**
 * An operator settles an `unconfirmed` post by hand (after looking at the platform). Any
 * lease or due key is removed with the status, so no sweep or dispatcher touches it again.
 *
 * @example
 * await Post.settle(id, { outcome: "published", externalPostId: "17890…" });
 */
export async function settle(id: string, input: SettleInput, now = Date.now()): Promise<PostView> {
  const { data: current } = await db().entities.post.get({ id }).go();
  if (!current) throw new NotFoundError("post.not_found", "Post not found.");
  if (current.status !== "unconfirmed") throw stateConflict(current, "settled");
  const externalPostId = input.externalPostId ?? current.externalPostId;
  if (input.outcome === "published" && !externalPostId) {
    throw new ValidationError("validation_failed", "Invalid request.", [
      { path: "externalPostId", message: "Required to settle a post as published." },
    ]);
  }
  const reason = input.reason?.trim();
  const updated = await transition(current, now, {
    set:
      input.outcome === "published"
        ? { status: "published", externalPostId, publishedAt: nowIso(now), step: "settled" }
        : {
            status: "failed",
            step: "settled",
            lastError: {
              code: "post.settled_failed",
              message: reason || "An operator confirmed that this post was not published. You can schedule it again.",
            },
          },
    remove:
      input.outcome === "published"
        ? ["leaseShard", "leaseUntil", "dueShard", "dueAt", "lastError"]
        : ["leaseShard", "leaseUntil", "dueShard", "dueAt"],
  });
  return toView(updated);
}

type Removable =
  | "dueShard"
  | "dueAt"
  | "leaseShard"
  | "leaseUntil"
  | "lastError"
  | "retries"
  | "finalCallAt"
  | "containerId"
  | "publishId"
  | "heldUntil"
  | "processingSince"
  | "step"
  | "reconcileAttempts";

/**
 * The one conditional write of every transition here: only if the post still has the status
 * and version that were read; bumps `version`. Losing the race re-reads the post and answers
 * 409 `post.state_conflict` with what it is now.
 *
 * The write stores a token of its own (db/own-write.ts): if its answer is lost and the SDK's
 * retry then fails the version condition against this very write, the read-back finds the
 * token and the transition answers the post as stored (success), not a false 409.
 */
async function transition(
  current: PostItem,
  now: number,
  change: { set: Partial<PostItem>; remove: Removable[] },
): Promise<PostItem> {
  const token = newWriteToken();
  const outcome = await conditionalWrite({
    what: "post.transition",
    write: async () => {
      const { data } = await db()
        .entities.post.patch({ id: current.id })
        .set({
          ...change.set,
          version: current.version + 1,
          updatedAt: nowIso(now),
          writeTokens: rememberWrite(current.writeTokens, token),
        })
        .remove(change.remove)
        .where((a, op) => `${op.eq(a.version, current.version)} AND ${op.eq(a.status, current.status)}`)
        .go({ response: "all_new" });
      return data as PostItem;
    },
    readBack: () => stored(current.id),
    isOurs: (p) => hasWrite(p.writeTokens, token),
    answer: (p) => p,
  });
  if (outcome.applied) return outcome.value;
  // Deleted since it was read (a drag onto a post someone just deleted): 404, and the patch's
  // attribute_exists condition has created nothing.
  if (!outcome.current) throw new NotFoundError("post.not_found", "Post not found.");
  throw stateConflict(outcome.current, "changed");
}

/** The post as stored now (a consistent read), or undefined. */
export async function stored(id: string): Promise<PostItem | undefined> {
  const { data } = await db().entities.post.get({ id }).go({ consistent: true });
  return data ?? undefined;
}

function scheduleKeys(id: string, scheduledFor: string) {
  return { scheduledFor, calendarAt: scheduledFor, dueShard: shardOf(id), dueAt: `${scheduledFor}#${id}` };
}

export function stateConflict(post: PostItem, verb: string): ConflictError {
  return new ConflictError("post.state_conflict", `This post is ${post.status} and cannot be ${verb} now.`, {
    status: post.status,
    version: post.version,
  });
}

async function requireActiveAccount(workspaceId: string, accountId: string): Promise<void> {
  const account = await Account.find(workspaceId, accountId);
  if (!account) throw new NotFoundError("account.not_found", "Account not found.");
  if (account.status !== "active") {
    throw new ConflictError(
      "account.needs_reconnect",
      `The ${account.platform} account @${account.handle} must be reconnected before posts can be scheduled.`,
      { accountId: account.id, status: account.status },
    );
  }
}

/**
 * The API's half of "on time": a post due before the dispatcher's next run is sent now. A
 * failure here is not the caller's: the post is stored as scheduled and the dispatcher sends it.
 */
export async function enqueueSoon(post: PostItem): Promise<void> {
  try {
    await enqueueIfDueSoon(post);
  } catch (err) {
    logger.warn("could not enqueue a post due soon; the dispatcher will send it", { postId: post.id, err });
  }
}

/** Items the nearby-post check reads at most (one page, one round trip). */
const NEARBY_READ_CAP = 25;

/** Other non-cancelled posts of the account within NEARBY_WINDOW_MS of `scheduledFor` (the first NEARBY_READ_CAP). */
async function nearbyPosts(accountId: string, selfId: string, scheduledFor: string): Promise<NearbyWarning[]> {
  const at = Date.parse(scheduledFor);
  const lower = nowIso(at - NEARBY_WINDOW_MS);
  // +1 ms: the upper bound of `between` on a partial sort key excludes items exactly at it.
  const upper = nowIso(at + NEARBY_WINDOW_MS + 1);
  const { data } = await db()
    .entities.post.query.byAccount({ accountId })
    .between({ calendarAt: lower }, { calendarAt: upper })
    // Bounded: a warning names a few neighbours, never every post of a crowded window.
    .go({ limit: NEARBY_READ_CAP, pages: 1 });
  return data
    .filter((p) => p.id !== selfId && p.status !== "cancelled" && p.scheduledFor)
    .map((p) => ({
      code: "post.nearby_post" as const,
      message: `Another post of this account is scheduled at ${p.scheduledFor}.`,
      postId: p.id,
      scheduledFor: p.scheduledFor as string,
    }));
}

export function toView(p: PostItem): PostView {
  return {
    id: p.id,
    accountId: p.accountId,
    platform: p.platform,
    caption: p.caption,
    originalCaption: p.originalCaption ?? p.caption,
    media: p.media.map((m) => ({ url: m.url, type: m.type })),
    status: p.status,
    scheduledFor: p.scheduledFor ?? null,
    attempts: p.attempts ?? 0,
    externalPostId: p.externalPostId ?? null,
    platformPostId: p.platformPostId ?? null,
    removedOnPlatformAt: p.removedOnPlatformAt ?? null,
    publishedAt: p.publishedAt ?? null,
    heldUntil: p.heldUntil ?? null,
    // Written from platform answers: redacted again here, so no echoed token reaches a client.
    lastError: p.lastError?.code ? { code: p.lastError.code, message: redactString(p.lastError.message ?? "") } : null,
    planId: p.planId ?? null,
    sourcePostId: p.sourcePostId ?? null,
    version: p.version,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}
