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
 * Answers a generating POST (RFC 7240 `Prefer: wait`): waits as the client prefers (reads only),
 * then answers with what the resource is at that moment:
 * - still `generating` → **202** with the resource and `Location` (read it there until it is
 *   `ready` or `failed`);
 * - settled within the wait (`ready` or `failed`), created by this request → **201** with the
 *   final resource and `Location`;
 * - settled, and this request was an idempotent retry (same `Idempotency-Key`) of an existing
 *   one → **200** with the resource and `Location`.
 * `Preference-Applied: wait=N` when a wait was asked. The core function that accepted the
 * request started the generation (Generation.start).
 *
 * @example
 * const started = await Plan.request(workspaceId, body, idempotencyKey(c));
 * return respondGenerating(c, started, Plan.toView, `/v1/plans/${started.generation.id}`);
 */
export async function respondGenerating<V>(
  c: Context,
  started: Generation.Started,
  toView: (g: Generation.GenerationItem) => V,
  location: string,
) {
  const wait = preferWait(c);
  const { generation, created } = started;
  const settled = wait > 0 ? await Generation.waitSettled(generation, wait) : generation;
  const headers: Record<string, string> = { Location: location };
  if (wait > 0) headers["Preference-Applied"] = `wait=${wait}`;
  const status = settled.status === "generating" ? 202 : created ? 201 : 200;
  return c.json(toView(settled) as never, status, headers);
}

/** The responses of a generating POST, for its route's OpenAPI document. */
export function generatingResponses<S extends z.ZodTypeAny>(schema: S, what: string) {
  const content = { "application/json": { schema } };
  const headers = {
    Location: { description: `Where to read the ${what}.`, schema: { type: "string" as const } },
  };
  return {
    200: {
      description: `An idempotent retry (same Idempotency-Key): the existing ${what}, already \`ready\` or \`failed\`.`,
      content,
      headers,
    },
    201: {
      description: `Created and settled within \`Prefer: wait\`: the ${what}, \`ready\` or \`failed\` (\`lastError\`).`,
      content,
      headers,
    },
    202: {
      description: `Accepted: the ${what}, \`generating\`; read it at Location until it is \`ready\` or \`failed\`.`,
      content,
      headers,
    },
  };
}
