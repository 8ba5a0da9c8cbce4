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
};

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
}
