/**
 * The platforms Studio publishes to. A base module: the entities (post, account, competitor),
 * the platform adapters and the media checks all take the names from here, so none of them
 * imports another domain for a type.
 */
export const PLATFORMS = ["instagram", "facebook", "tiktok"] as const;
export type Platform = (typeof PLATFORMS)[number];
