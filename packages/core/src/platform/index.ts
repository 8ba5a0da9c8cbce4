import { env } from "../config/env";
import { facebookAdapter } from "./facebook";
import type { AdapterOptions } from "./http";
import { instagramAdapter } from "./instagram";
import { tiktokAdapter } from "./tiktok";
import type { Adapters } from "./types";

export type { PlatformUsage } from "./classify";
export { isHighUsage, usageFromHeaders } from "./classify";

/**
 * The three adapters at the base URLs of config/env.ts (read on each call, so tests and the
 * local runtime can point them at the simulators).
 *
 * @example
 * const { instagram } = adapters({ timeoutMs: 8_000, onUsage: ({ usage }) => isHighUsage(usage) && slowDown() });
 */
export function adapters(options: Omit<AdapterOptions, "baseUrl"> = {}): Adapters {
  return {
    instagram: instagramAdapter({ ...options, baseUrl: env.instagramApiUrl() }),
    facebook: facebookAdapter({ ...options, baseUrl: env.facebookApiUrl() }),
    tiktok: tiktokAdapter({
      ...options,
      baseUrl: env.tiktokApiUrl(),
      clientKey: env.tiktokClientKey(),
      clientSecret: env.tiktokClientSecret(),
    }),
  };
}
