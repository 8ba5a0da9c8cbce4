import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { EntityItem } from "electrodb";
import { isConditionalFailure } from "../db/conditional";
import { conditionalWrite } from "../db/own-write";
import { db } from "../db/service";
import { ConflictError, NotFoundError } from "../errors";
import type { GenerationMessage } from "../queue/messages";
import { sendMessage } from "../queue/sqs";
import { withCursor } from "../util/cursor";
import { newId } from "../util/id";
import { logger } from "../util/logger";
import { nowIso } from "../util/time";
import type { GenerationEntity, GenerationStatus } from "./generation.entity";

export type GenerationItem = EntityItem<typeof GenerationEntity>;

/** Longest `Prefer: wait=N` honoured (api.md). */
export const MAX_WAIT_SECONDS = 20;

export interface StartInput {
  workspaceId: string;
  /** Generator name (registry.ts). */
  feature: string;
  /** Id prefix of the resource (`plan`, `rep`, …). */
  prefix: string;
  /** The validated request; stored and handed to the generator. */
  input: Record<string, unknown>;
  /** The client's `Idempotency-Key`: same key → same resource, never a second LLM call. */
  idempotencyKey?: string;
}

/**
 * Accepts a background generation: stores it `generating` and sends its message to the `llm`
 * queue. With an `Idempotency-Key` the id is derived from (workspace, feature, key), so a retry
 * finds the same resource (a different request under the same key is 409
 * `idempotency.key_reused`); its message is sent again only if the first send never happened.
 *
 * @example
 * const { generation } = await Generation.start({ workspaceId, feature: "weeklyPlan", prefix: "plan", input });
 */
/** What `start` answers: the generation, and whether this request created it (false: an idempotent retry). */
export interface Started {
  generation: GenerationItem;
  created: boolean;
}

export async function start(opts: StartInput, now = Date.now()): Promise<Started> {
  const requestHash = sha256(JSON.stringify(opts.input));
  const id = opts.idempotencyKey
    ? `${opts.prefix}_${sha256(`${opts.workspaceId}\n${opts.feature}\n${opts.idempotencyKey}`).slice(0, 22)}`
    : newId(opts.prefix);
  const at = nowIso(now);
  let generation: GenerationItem = {
    id,
    workspaceId: opts.workspaceId,
    feature: opts.feature,
    status: "generating",
    input: opts.input,
    idempotencyKey: opts.idempotencyKey,
    requestHash,
    attempts: 0,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  // The item existing already is either a retry with the same Idempotency-Key (an earlier
  // request made it: `created` false), or our own create whose answer was lost and which the SDK
  // sent again (same request hash and our creation instant: this request made it).
  const outcome = await conditionalWrite({
    what: "generation.create",
    write: () => db().entities.generation.create(generation).go({ response: "none" }),
    readBack: () => stored(id),
    isOurs: (g) => g.requestHash === requestHash && g.createdAt === at && g.workspaceId === opts.workspaceId,
    answer: () => undefined,
  });
  const created = outcome.applied;
  if (!outcome.applied) {
    const err = outcome.error;
    const data = outcome.current;
    if (!data || data.workspaceId !== opts.workspaceId || data.feature !== opts.feature) throw err;
    if (data.requestHash !== requestHash) {
      throw new ConflictError(
        "idempotency.key_reused",
        "This Idempotency-Key was already used with a different request.",
        { id },
      );
    }
    generation = data;
  }
  if (!generation.queuedAt && generation.status === "generating") generation = await enqueue(generation, now);
  return { generation, created };
}

/** Sends the generation's message and notes when (a failure is thrown: the POST answers 503/500 and may be retried). */
async function enqueue(g: GenerationItem, now: number): Promise<GenerationItem> {
  const message: GenerationMessage = { kind: "generate", feature: g.feature, workspaceId: g.workspaceId, id: g.id };
  await sendMessage("llm", message);
  const queuedAt = nowIso(now);
  await db()
    .entities.generation.patch({ id: g.id })
    .set({ queuedAt })
    .go({ response: "none" })
    .catch((err) => logger.warn("could not note queuedAt (harmless: the message is sent)", { id: g.id, err }));
  return { ...g, queuedAt };
}

/** The generation, or 404 `notFoundCode` when absent, another workspace's, or another feature's. */
export async function get(
  workspaceId: string,
  id: string,
  feature: string,
  notFoundCode: string,
): Promise<GenerationItem> {
  const { data } = await db().entities.generation.get({ id }).go();
  if (!data || data.workspaceId !== workspaceId || data.feature !== feature) {
    throw new NotFoundError(notFoundCode, "Not found.");
  }
  return data;
}

/** A workspace's generations of one feature, newest first. */
export async function list(
  workspaceId: string,
  feature: string,
  page: { limit?: number; cursor?: string | null } = {},
): Promise<{ items: GenerationItem[]; nextCursor: string | null }> {
  const limit = page.limit ?? 50;
  const { data, cursor } = await withCursor(page.cursor, () =>
    db()
      .entities.generation.query.byWorkspace({ workspaceId, feature })
      .go({ order: "desc", count: limit, cursor: page.cursor ?? null }),
  );
  return { items: data, nextCursor: cursor ?? null };
}

/**
 * `Prefer: wait=N`: polls the generation until it is no longer `generating` or N seconds passed
 * (capped at MAX_WAIT_SECONDS). The wait only reads; the work runs on the `llm` queue, so the
 * API Lambda's timeout never ends an LLM call.
 */
export async function waitSettled(g: GenerationItem, seconds: number): Promise<GenerationItem> {
  const until = Date.now() + Math.min(MAX_WAIT_SECONDS, Math.max(0, seconds)) * 1000;
  let current = g;
  let pause = 100;
  while (current.status === "generating" && Date.now() < until) {
    await sleep(Math.min(pause, Math.max(0, until - Date.now())));
    pause = Math.min(500, pause * 1.5);
    const { data } = await db().entities.generation.get({ id: g.id }).go({ consistent: true });
    if (data) current = data;
  }
  return current;
}

/** Why a delivery could not claim: the generation is over, or another run holds a live lease. */
export type ClaimRefusal = { kind: "finished" } | { kind: "leased"; leaseUntil: string };

/**
 * Claims a generation for one run: only while `generating` and not leased by a live worker.
 * Timeline: read (version v) → write lease + a new `leaseOwner` if still v → a second delivery
 * of the same message reads the live lease and is refused with its end (the consumer puts the
 * message back until then, so it resumes the work if the holder dies). Returns the claimed item
 * (attempts + 1), or why not.
 */
export async function claim(
  id: string,
  leaseMs: number,
  now = Date.now(),
): Promise<{ claimed: GenerationItem } | ClaimRefusal> {
  const { data } = await db().entities.generation.get({ id }).go({ consistent: true });
  if (data?.status !== "generating") return { kind: "finished" };
  if (data.leaseUntil && data.leaseUntil > nowIso(now)) return { kind: "leased", leaseUntil: data.leaseUntil };
  const leaseOwner = newId("run");
  const outcome = await conditionalWrite({
    what: "generation.claim",
    write: async () => {
      const { data: claimed } = await db()
        .entities.generation.patch({ id })
        .set({
          leaseUntil: nowIso(now + leaseMs),
          leaseOwner,
          attempts: data.attempts + 1,
          version: data.version + 1,
          updatedAt: nowIso(now),
        })
        .where((a, op) => `${op.eq(a.version, data.version)} AND ${op.eq(a.status, "generating")}`)
        .go({ response: "all_new" });
      return claimed as GenerationItem;
    },
    readBack: () => stored(id),
    // The lease owner is new for this claim: holding it means our claim (its answer lost) holds.
    isOurs: (g) => g.leaseOwner === leaseOwner,
    answer: (g) => g,
  });
  if (outcome.applied) return { claimed: outcome.value };
  // Another delivery claimed it between our read and write: its lease is fresh.
  return { kind: "leased", leaseUntil: outcome.current?.leaseUntil ?? nowIso(now + leaseMs) };
}

/** The generation as stored now (a consistent read), or undefined. */
async function stored(id: string): Promise<GenerationItem | undefined> {
  return (await db().entities.generation.get({ id }).go({ consistent: true })).data ?? undefined;
}

/**
 * Extends the lease of the run that holds it (the heartbeat). Conditional on the run's
 * `leaseOwner` and `generating`: false when the lease is no longer this run's (taken over after
 * it expired, or the generation ended), and then the run must stop.
 */
export async function renewLease(g: GenerationItem, leaseMs: number, now = Date.now()): Promise<boolean> {
  try {
    await db()
      .entities.generation.patch({ id: g.id })
      .set({ leaseUntil: nowIso(now + leaseMs) })
      .where((a, op) => `${op.eq(a.leaseOwner, g.leaseOwner ?? "")} AND ${op.eq(a.status, "generating")}`)
      .go({ response: "none" });
    return true;
  } catch (err) {
    if (isConditionalFailure(err)) return false;
    throw err;
  }
}

/**
 * Checkpoints what a run produced (e.g. the plan's proposals) before its side effects, so a
 * retry continues from it instead of asking the model again. Conditional on the run's version
 * and on its lease (a run that lost its lease cannot overwrite the one that took over).
 */
export async function checkpoint(g: GenerationItem, output: unknown, now = Date.now()): Promise<GenerationItem> {
  const updatedAt = nowIso(now);
  const outcome = await conditionalWrite({
    what: "generation.checkpoint",
    write: async () => {
      const { data } = await db()
        .entities.generation.patch({ id: g.id })
        .set({ output, version: g.version + 1, updatedAt })
        .where(
          (a, op) =>
            `${op.eq(a.version, g.version)} AND ${op.eq(a.status, "generating")} AND ${op.eq(a.leaseOwner, g.leaseOwner ?? "")}`,
        )
        .go({ response: "all_new" });
      return data as GenerationItem;
    },
    readBack: () => stored(g.id),
    // Only the lease holder (this run, writing one step at a time) moves the version under its lease.
    isOurs: (s) => s.version === g.version + 1 && s.leaseOwner === g.leaseOwner && s.updatedAt === updatedAt,
    answer: (s) => s,
  });
  if (!outcome.applied) throw outcome.error;
  return outcome.value;
}

/**
 * Ends a generation `ready` or `failed` (conditional: only from `generating`, and only by the
 * run holding the lease when `g` carries one); the lease goes. Undefined when the condition failed.
 */
export async function finish(
  g: GenerationItem,
  status: Exclude<GenerationStatus, "generating">,
  patch: { output?: unknown; lastError?: { code: string; message: string } },
  now = Date.now(),
): Promise<GenerationItem | undefined> {
  const finishedAt = nowIso(now);
  const outcome = await conditionalWrite({
    what: "generation.finish",
    write: async () => {
      const { data } = await db()
        .entities.generation.patch({ id: g.id })
        .set({
          status,
          ...(patch.output !== undefined ? { output: patch.output } : {}),
          ...(patch.lastError ? { lastError: patch.lastError } : {}),
          version: g.version + 1,
          updatedAt: finishedAt,
          finishedAt,
        })
        .remove(["leaseUntil", "leaseOwner"])
        .where((a, op) =>
          g.leaseOwner
            ? `${op.eq(a.status, "generating")} AND ${op.eq(a.leaseOwner, g.leaseOwner)}`
            : op.eq(a.status, "generating"),
        )
        .go({ response: "all_new" });
      return data as GenerationItem;
    },
    readBack: () => stored(g.id),
    // Our own finish, its answer lost: the status we set, at the version and instant we wrote.
    isOurs: (s) => s.status === status && s.version === g.version + 1 && s.finishedAt === finishedAt,
    answer: (s) => s,
  });
  return outcome.applied ? outcome.value : undefined;
}

/** Gives up the lease without finishing (a retryable failure: the next delivery claims again). */
export async function release(g: GenerationItem, now = Date.now()): Promise<void> {
  await db()
    .entities.generation.patch({ id: g.id })
    .remove(["leaseUntil", "leaseOwner"])
    .set({ updatedAt: nowIso(now) })
    .where((a, op) => `${op.eq(a.status, "generating")} AND ${op.eq(a.leaseOwner, g.leaseOwner ?? "")}`)
    .go({ response: "none" })
    .catch((err) => logger.warn("could not release a generation lease (it expires)", { id: g.id, err }));
}

/** Deterministic child id (e.g. a plan's n-th draft): the same run, retried, writes the same ids. */
export const childId = (prefix: string, parentId: string, key: string) =>
  `${prefix}_${sha256(`${parentId}\n${key}`).slice(0, 22)}`;

const sha256 = (s: string) => createHash("sha256").update(s).digest("base64url");
