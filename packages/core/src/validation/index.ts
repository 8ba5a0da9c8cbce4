/**
 * Shared zod helpers for everything that enters Studio from outside (HTTP bodies, queries,
 * LLM-shaped input): strict dates with a year range, ordered ranges, bounded free-form maps,
 * list cursors (only what Studio could have issued).
 * The HTTP edge (body size, JSON depth, content type) lives in functions/src/http/body-guard.ts.
 */

export * from "./cursor";
export * from "./dates";
export * from "./json-map";
export * from "./number";
