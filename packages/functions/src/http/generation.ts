import { z } from "@hono/zod-openapi";
import { ValidationError } from "@studio/core/errors";
import * as Generation from "@studio/core/generation/generation";
import type { Context } from "hono";

/**
 * HTTP side of the background generation pattern (core/src/generation/README.md): the
 * `Idempotency-Key` and `Prefer: wait=N` headers, and the 202 answer with `Location`.
 */

/** Request headers of a generating POST, for the OpenAPI document. */
export const GenerationHeaders = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({ description: "Retrying with the same key returns the same resource; the LLM is never called twice." }),
  prefer: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: "`wait=N` (N ≤ 20): hold the answer up to N seconds for the result.", example: "wait=10" }),
});

/** The client's Idempotency-Key (printable ASCII, 1–255), or undefined. */
export function idempotencyKey(c: Context): string | undefined {
  const key = c.req.header("idempotency-key");
  if (key === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new ValidationError("validation_failed", "Invalid request.", [
      { path: "Idempotency-Key", message: "Must be 1–255 printable ASCII characters without spaces." },
    ]);
  }
  return key;
}

/** Seconds from `Prefer: wait=N`, capped at 20 (0 when absent). */
export function preferWait(c: Context): number {
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(c.req.header("prefer") ?? "");
  return match ? Math.min(Generation.MAX_WAIT_SECONDS, Number(match[1])) : 0;
}

/**
 * Answers a generating POST: waits as the client prefers (`Prefer: wait=N`, reads only), then
 * 202 with the resource's view and `Location` (and `Preference-Applied` when a wait was asked).
 * The core function that accepted the request started the generation (Generation.start).
 *
 * @example
 * const g = await Plan.request(workspaceId, body, idempotencyKey(c));
 * return respondGenerating(c, g, Plan.toView, `/v1/plans/${g.id}`);
 */
export async function respondGenerating<V>(
  c: Context,
  generation: Generation.GenerationItem,
  toView: (g: Generation.GenerationItem) => V,
  location: string,
) {
  const wait = preferWait(c);
  const settled = wait > 0 ? await Generation.waitSettled(generation, wait) : generation;
  const headers: Record<string, string> = { Location: location };
  if (wait > 0) headers["Preference-Applied"] = `wait=${wait}`;
  return c.json(toView(settled) as never, 202, headers);
}
