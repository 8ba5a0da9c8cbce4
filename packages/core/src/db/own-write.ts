import { randomUUID } from "node:crypto";
import { logger } from "../util/logger";
import { isConditionalFailure } from "./conditional";

/**
 * Recognising our own conditional write after its answer was lost.
 *
 * Studio's DynamoDB client has a request timeout and retries (aws/clients.ts). When the answer
 * of a write is lost after DynamoDB applied it, the SDK sends the same write again, and a
 * conditional one then fails its condition against our own first attempt:
 *
 *   t0       PutItem(post p, attribute_not_exists) reaches DynamoDB and is applied
 *   t0+…     its answer is lost (connection reset, the request timeout fires)
 *   t0+5 s   the SDK's retry: the same PutItem → ConditionalCheckFailed (p exists: it is ours)
 *
 * Taken at its word, that failure is a 500 (or a 409 "someone else moved first") for a write
 * that happened, and the user who tries again creates a second post. So on a conditional
 * failure we read the item back (consistently) and look for evidence that the write that holds
 * is ours: an id we generated for this request, or a write token (`newWriteToken`) the write
 * stored. Only that evidence turns the failure into success; anything else stays a failure
 * for the caller to map (409, 404…).
 *
 * Transactions need none of this: the SDK gives TransactWriteItems one ClientRequestToken for
 * all its attempts, and DynamoDB answers a repeat of an applied transaction with success.
 */
export type WriteOutcome<T, S> =
  /** Applied: by the first answer, or `recognised` as ours after a conditional failure. */
  | { applied: true; value: T; recognised: boolean }
  /** The condition failed and the stored item is not our write; `current` is what is stored (consistent read). */
  | { applied: false; current: S | undefined; error: unknown };

export interface OwnWrite<T, S> {
  /** Names the write in the log line when it is recognised (e.g. "post.create"). */
  what: string;
  /** The conditional write. */
  write: () => Promise<T>;
  /** The item as stored now: a consistent read, undefined when absent. */
  readBack: () => Promise<S | undefined>;
  /** True only with evidence that the stored item holds our write (our generated id, our write token). */
  isOurs: (stored: S) => boolean;
  /** The answer the write would have given, from the stored item. */
  answer: (stored: S) => T;
}

/**
 * Runs a conditional write; when its condition fails, reads the item back and, if the write
 * that holds is ours (see above), answers as if the first answer had arrived. Errors other than
 * a conditional failure pass through unchanged.
 *
 * @example
 * const token = newWriteToken();
 * const outcome = await conditionalWrite({
 *   what: "post.transition",
 *   write: () => patch.set({ ...change, writeTokens: rememberWrite(current.writeTokens, token) }).where(sameVersion).go(),
 *   readBack: async () => (await post.get({ id }).go({ consistent: true })).data ?? undefined,
 *   isOurs: (p) => hasWrite(p.writeTokens, token),
 *   answer: (p) => p,
 * });
 * if (!outcome.applied) throw stateConflict(outcome.current);
 */
export async function conditionalWrite<T, S>(spec: OwnWrite<T, S>): Promise<WriteOutcome<T, S>> {
  try {
    return { applied: true, value: await spec.write(), recognised: false };
  } catch (error) {
    if (!isConditionalFailure(error)) throw error;
    const current = await spec.readBack();
    if (current !== undefined && spec.isOurs(current)) {
      // Worth a line: it means an answer was lost on the way (a network or DynamoDB hiccup).
      logger.warn("a conditional write failed against our own earlier attempt: answered as applied", {
        write: spec.what,
      });
      return { applied: true, value: spec.answer(current), recognised: true };
    }
    return { applied: false, current, error };
  }
}

/**
 * `conditionalWrite` for a create under an id generated for this request: the item existing
 * with our id and our other fields is our own create. Not ours (only possible with an id the
 * caller did not generate): the original conditional failure is thrown.
 *
 * @example
 * await createOnce({ what: "competitor.create", write: () => competitor.create(item).go(), readBack, isOurs: (c) => c.createdAt === item.createdAt, answer: toView });
 */
export async function createOnce<T, S>(spec: OwnWrite<T, S>): Promise<T> {
  const outcome = await conditionalWrite(spec);
  if (!outcome.applied) throw outcome.error;
  return outcome.value;
}

/** How many of an item's latest write tokens it keeps: enough for a few writes in between. */
export const KEPT_WRITE_TOKENS = 4;

/** A token naming one write (one request's attempt at it, retries included). */
export function newWriteToken(): string {
  return randomUUID();
}

/**
 * The item's write tokens after this write: ours first, then the latest ones it had (bounded).
 * Set as a whole by a write that is conditional on the version read (so `previous` is exactly
 * what is stored), it keeps our token recognisable even if a few other writes follow ours
 * before our retry reads the item back.
 *
 * @example
 * patch.set({ status: "cancelled", writeTokens: rememberWrite(current.writeTokens, token) })
 */
export function rememberWrite(previous: readonly string[] | undefined, token: string): string[] {
  return [token, ...(previous ?? []).filter((t) => t !== token)].slice(0, KEPT_WRITE_TOKENS);
}

/** True when the stored tokens hold ours. */
export function hasWrite(stored: readonly string[] | undefined, token: string): boolean {
  return stored?.includes(token) ?? false;
}

/**
 * True when every attribute a write set holds in the stored item exactly as written: the
 * evidence for a write conditional on a version it bumps, when the set includes the new
 * version and the write's own instant (`updatedAt`), which no other write repeats.
 *
 * @example
 * isOurs: (c) => storedAsWritten(c, set) // set = { name, version: v + 1, updatedAt: nowIso(now) }
 */
export function storedAsWritten(stored: object, set: object): boolean {
  const s = stored as Record<string, unknown>;
  return Object.entries(set).every(([k, v]) => v === undefined || JSON.stringify(s[k]) === JSON.stringify(v));
}
