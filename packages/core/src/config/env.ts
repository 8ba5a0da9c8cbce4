import type { QueueKind } from "./jobs";

/**
 * Runtime settings, read from the environment on each call (cheap) so tests and the local
 * runtime can set them before importing nothing in particular. In AWS the stacks set them.
 */
export const env = {
  stage: () => process.env.STUDIO_STAGE ?? "local",
  tableName: () => required("STUDIO_TABLE_NAME"),
  queueUrl: (kind: QueueKind) => required(`STUDIO_QUEUE_URL_${kind.toUpperCase()}`),
  dlqUrl: (kind: QueueKind) => required(`STUDIO_DLQ_URL_${kind.toUpperCase()}`),
  adminToken: () => required("STUDIO_ADMIN_TOKEN"),
  /** 32 bytes, base64: the AES-256-GCM key that encrypts platform tokens at rest. */
  encryptionKey: () => required("STUDIO_ENCRYPTION_KEY"),
  instagramApiUrl: () => process.env.STUDIO_INSTAGRAM_API_URL ?? "https://graph.instagram.com/v23.0",
  facebookApiUrl: () => process.env.STUDIO_FACEBOOK_API_URL ?? "https://graph.facebook.com/v23.0",
  tiktokApiUrl: () => process.env.STUDIO_TIKTOK_API_URL ?? "https://open.tiktokapis.com",
  tiktokClientKey: () => process.env.STUDIO_TIKTOK_CLIENT_KEY ?? "",
  tiktokClientSecret: () => process.env.STUDIO_TIKTOK_CLIENT_SECRET ?? "",
  /** Requests per minute per API key (and for the admin token) before 429; 0 = off (load tests). */
  rateLimitPerKey: () => count("STUDIO_RATE_LIMIT_PER_KEY", 600),
  /**
   * Requests per minute per workspace, all its keys together; 0 = off. Defaults to 3× the
   * per-key limit (off when that is off).
   */
  rateLimitPerWorkspace: () => count("STUDIO_RATE_LIMIT_PER_WORKSPACE", 3 * count("STUDIO_RATE_LIMIT_PER_KEY", 600)),
  /** Seconds an API key lookup is cached in memory: a revocation takes effect within this. */
  keyCacheSeconds: () => count("STUDIO_KEY_CACHE_SECONDS", 30),
};

/** A non-negative integer setting; unset, empty or malformed → `fallback`. */
function count(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
}
