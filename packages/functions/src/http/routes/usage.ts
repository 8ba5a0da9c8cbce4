import { createRoute, z } from "@hono/zod-openapi";
import { ValidationError } from "@studio/core/errors";
import { summarizeUsage } from "@studio/core/llm/usage";
import { requireKey } from "../auth";
import { router } from "../router";
import { errors, Instant, json } from "../schemas";

const Totals = z.object({
  calls: z.number().int(),
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
  costUsd: z.number(),
});

const UsageSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    totals: Totals,
    byFeature: z.array(
      Totals.extend({
        feature: z.string().openapi({ example: "weeklyPlan" }),
        repairs: z.number().int().openapi({ description: "Calls that were the one repair attempt." }),
        failures: z.number().int().openapi({ description: "Calls that did not give a usable answer." }),
        avgLatencyMs: z.number().int(),
      }),
    ),
  })
  .openapi("LlmUsage");

const Query = z.object({
  from: Instant.optional().openapi({ description: "Inclusive; default: the start of this UTC month." }),
  to: Instant.optional().openapi({ description: "Exclusive; default: now." }),
});

export const usage = router().openapi(
  createRoute({
    method: "get",
    path: "/v1/usage",
    operationId: "getLlmUsage",
    tags: ["llm"],
    summary: "LLM use of the workspace: calls, tokens and cost, in total and per feature",
    security: [{ bearerAuth: [] }],
    middleware: requireKey(),
    request: { query: Query },
    responses: { 200: json(UsageSchema, "Usage between from and to."), ...errors },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const now = new Date();
    const from = q.from
      ? new Date(q.from).toISOString()
      : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
    const to = q.to ? new Date(q.to).toISOString() : now.toISOString();
    if (from >= to) {
      throw new ValidationError("validation_failed", "Invalid request.", [
        { path: "to", message: "Must be after from." },
      ]);
    }
    return c.json(await summarizeUsage(c.get("principal").workspaceId, from, to), 200);
  },
);
