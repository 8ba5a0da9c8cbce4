import { env } from "../config/env";
import { db } from "../db/service";
import { RateLimitedError } from "../errors";
import { logger } from "../util/logger";
import type { RateScope } from "./rate-counter.entity";

export const WINDOW_MS = 60_000;
/** An instance reserves 1/CHUNKS of a limit at a time: one counter write per chunk of requests. */
const CHUNKS = 10;
/** Local slots kept at most (old windows are dropped first). */
const MAX_SLOTS = 10_000;

interface Slot {
  window: number;
  /** Requests this instance may still admit in `window` without asking the table. */
  allowance: number;
  /** The shared counter said the limit is spent for this window. */
  spent: boolean;
  /** One reservation in flight at a time per slot; concurrent requests wait for it. */
  pending?: Promise<void>;
}

/**
 * Fixed one-minute windows, counted in DynamoDB so every Lambda instance shares them, with
 * quota reserved in chunks so that most requests cost no extra round trip:
 *
 *   request → local allowance > 0? admit (no I/O)
 *           → else ADD chunk to the window's counter (one UpdateItem), keep what fits under
 *             the limit; nothing fits → 429 until the window ends (Retry-After).
 *
 * The counter counts quota *handed out*, so the requests admitted across instances never
 * exceed the limit in a window; what an instance reserved and did not use is lost to the
 * others (at most a chunk, 10% of the limit, per instance and window). Why fixed windows and
 * not a sliding window: docs/rate-limits.md.
 *
 * @example
 * const limiter = new RateLimiter();
 * await limiter.take("key", keyId, 600); // throws RateLimitedError (429) when spent
 */
export class RateLimiter {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Admits one request of `subject` under `limit` per minute, or throws RateLimitedError. */
  async take(scope: RateScope, subject: string, limit: number): Promise<void> {
    if (limit <= 0) return;
    const slot = this.slot(`${scope}:${subject}`, Math.floor(this.clock() / WINDOW_MS));
    for (;;) {
      if (slot.allowance > 0) {
        slot.allowance -= 1;
        return;
      }
      if (slot.spent) throw this.limited(scope, slot.window);
      if (slot.pending) {
        await slot.pending;
        continue;
      }
      slot.pending = this.reserve(scope, subject, limit, slot).finally(() => {
        slot.pending = undefined;
      });
      await slot.pending;
    }
  }

  /** Forgets every local allowance (a new instance). */
  reset(): void {
    this.slots.clear();
  }

  private slot(key: string, window: number): Slot {
    let slot = this.slots.get(key);
    if (!slot || slot.window !== window) {
      if (this.slots.size >= MAX_SLOTS) this.prune(window);
      slot = { window, allowance: 0, spent: false };
      this.slots.delete(key);
      this.slots.set(key, slot);
    }
    return slot;
  }

  private prune(window: number) {
    for (const [k, s] of this.slots) if (s.window !== window) this.slots.delete(k);
    // Still full (that many subjects in one minute): drop the oldest half.
    let drop = this.slots.size >= MAX_SLOTS ? Math.floor(MAX_SLOTS / 2) : 0;
    for (const k of this.slots.keys()) {
      if (drop-- <= 0) break;
      this.slots.delete(k);
    }
  }

  private async reserve(scope: RateScope, subject: string, limit: number, slot: Slot): Promise<void> {
    const chunk = Math.max(1, Math.floor(limit / CHUNKS));
    let used: number;
    try {
      const { data } = await db()
        .entities.rateCounter.update({ scope, subject, window: slot.window })
        .add({ used: chunk })
        .set({ ttl: Math.floor(((slot.window + 1) * WINDOW_MS) / 1000) + 3600 })
        .go({ response: "updated_new" });
      used = Number(data.used ?? chunk);
    } catch (err) {
      // The limiter protects the service; it must not take it down. Admit this chunk and say so.
      logger.warn("rate limit counter unavailable; admitting", { scope, err });
      slot.allowance += chunk;
      return;
    }
    const granted = Math.max(0, Math.min(chunk, limit - (used - chunk)));
    if (granted === 0) slot.spent = true;
    slot.allowance += granted;
  }

  private limited(scope: RateScope, window: number): RateLimitedError {
    const seconds = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - this.clock()) / 1000));
    return new RateLimitedError(
      scope === "key"
        ? "Too many requests with this key: retry after the time in Retry-After."
        : "Too many requests for this workspace: retry after the time in Retry-After.",
      seconds,
    );
  }
}

let shared: RateLimiter | undefined;

/** The process's limiter (one per Lambda instance). */
export function limiter(): RateLimiter {
  shared ??= new RateLimiter();
  return shared;
}

/** For tests: replace the process's limiter (e.g. one with a fixed clock). */
export function setLimiter(next: RateLimiter | undefined): void {
  shared = next;
}

/**
 * Admits one request of a caller: per key (the admin token counts as the key `admin`), then
 * per workspace. Limits from STUDIO_RATE_LIMIT_PER_KEY / STUDIO_RATE_LIMIT_PER_WORKSPACE.
 *
 * @example
 * await admit({ keyId: "key_…", workspaceId: "ws_…" }); // throws RateLimitedError (429)
 */
export async function admit(caller: { keyId: string; workspaceId?: string }): Promise<void> {
  await limiter().take("key", caller.keyId, env.rateLimitPerKey());
  if (caller.workspaceId) await limiter().take("workspace", caller.workspaceId, env.rateLimitPerWorkspace());
}
