import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { env } from "../config/env";

/**
 * Platform tokens at rest: AES-256-GCM under the key from configuration
 * (`STUDIO_ENCRYPTION_KEY`, 32 bytes base64; a secret in AWS). Format:
 * `v1.<iv b64url>.<tag b64url>.<ciphertext b64url>`; the account id is bound as additional
 * authenticated data so a ciphertext cannot be moved to another account.
 *
 * @example
 * const enc = encryptSecret(token, account.id);
 * decryptSecret(enc, account.id) === token;
 */
export function encryptSecret(plain: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(), iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(
    ".",
  );
}

export function decryptSecret(enc: string, context: string): string {
  const [version, iv, tag, body] = enc.split(".");
  if (version !== "v1" || !iv || !tag || body === undefined) throw new Error("unknown secret format");
  const decipher = createDecipheriv("aes-256-gcm", key(), Buffer.from(iv, "base64url"));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
}

/** API keys are stored as their SHA-256: a leaked table does not leak keys. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** A new API key: `sk_` + 32 random bytes, base64url. */
export function newApiKey(): string {
  return `sk_${randomBytes(32).toString("base64url")}`;
}

let cached: { raw: string; key: Buffer } | undefined;
function key(): Buffer {
  const raw = env.encryptionKey();
  if (cached?.raw !== raw) {
    const buf = Buffer.from(raw, "base64");
    if (buf.length !== 32) throw new Error("STUDIO_ENCRYPTION_KEY must be 32 bytes, base64");
    cached = { raw, key: buf };
  }
  return cached.key;
}
