import { Entity } from "electrodb";

export const RATE_SCOPES = ["key", "workspace"] as const;
export type RateScope = (typeof RATE_SCOPES)[number];

/**
 * Requests admitted in one fixed one-minute window for one API key (or the admin token) or one
 * workspace, shared by every Lambda instance. Instances reserve quota in chunks (an atomic
 * `ADD`), so most requests touch no counter at all (rate-limit/rate-limit.ts). Expires an hour
 * after its window.
 */
export const RateCounterEntity = new Entity({
  model: { entity: "rateCounter", version: "1", service: "studio" },
  attributes: {
    scope: { type: RATE_SCOPES, required: true, readOnly: true },
    subject: { type: "string", required: true, readOnly: true },
    /** Window number: epoch minutes. */
    window: { type: "number", required: true, readOnly: true },
    /** Quota handed out (reserved) in this window, across instances. */
    used: { type: "number" },
    ttl: { type: "number" },
  },
  indexes: {
    byWindow: {
      pk: { field: "pk", casing: "none", composite: ["scope", "subject"] },
      sk: { field: "sk", casing: "none", composite: ["window"] },
    },
  },
});
