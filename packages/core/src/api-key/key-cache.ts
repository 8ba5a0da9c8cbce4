import { env } from "../config/env";
import type { Role } from "./api-key.entity";

/** What authentication needs of a stored key (never the key or its hash). */
export interface CachedKey {
  id: string;
  workspaceId: string;
  role: Role;
  revokedAt?: string;
}

const MAX_ENTRIES = 10_000;

/**
 * Key lookups cached in memory for STUDIO_KEY_CACHE_SECONDS (30 s by default), unknown keys
 * included (so a flood of bad keys does not become a flood of reads). A revocation made in
 * this instance drops the entry at once; in other instances it takes effect within the TTL.
 * A cached key's own `revokedAt` (the end of a rotation's grace) is still checked on every use.
 *
 * @example
 * const hit = keyCache.get(hash, Date.now()); // CachedKey | null (known absent) | undefined (miss)
 */
export class KeyCache {
  private readonly entries = new Map<string, { until: number; key: CachedKey | null }>();

  get(hash: string, now: number): CachedKey | null | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry.key;
  }

  set(hash: string, key: CachedKey | null, now: number): void {
    const ttl = env.keyCacheSeconds() * 1000;
    if (ttl <= 0) return;
    if (this.entries.size >= MAX_ENTRIES) {
      // Oldest first (Map keeps insertion order): drop a tenth.
      let drop = Math.ceil(MAX_ENTRIES / 10);
      for (const k of this.entries.keys()) {
        if (drop-- <= 0) break;
        this.entries.delete(k);
      }
    }
    this.entries.delete(hash);
    this.entries.set(hash, { until: now + ttl, key });
  }

  delete(hash: string): void {
    this.entries.delete(hash);
  }

  clear(): void {
    this.entries.clear();
  }
}

/** The process's cache (one per Lambda instance). */
export const keyCache = new KeyCache();
