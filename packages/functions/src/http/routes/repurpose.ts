import { createRoute, z } from "@hono/zod-openapi";
import { PLATFORMS } from "@studio/core/platforms";
import * as Repurpose from "@studio/core/repurpose/repurpose";
import { requireKey, WRITERS } from "../auth";
import { GenerationHeaders, generatingResponses, idempotencyKey, respondGenerating } from "../generation";
import { router } from "../router";
import { body, errors, IdParam, json, LastError, llmErrors } from "../schemas";

const security = [{ bearerAuth: [] }];

const CreateRepurpose = z
  .object({
    sourcePostId: z.string().min(1).max(128),
    targets: z
      .array(
        z
          .object({
            accountId: z.string().min(1).max(128),
            platform: z.string().max(40).optional().openapi({
              description: "Optional check: must be the account's platform (400 repurpose.unsupported_platform).",
            }),
          })
          .strict(),
      )
      .min(1)
      .max(10),
  })
  .strict();

const VariantSchema = z.object({
  accountId: z.string(),
  platform: z.enum(PLATFORMS),
  hook: z.string().nullable(),
  caption: z.string().nullable(),
  callToAction: z.string().nullable(),
  hashtags: z.array(z.string()),
  postId: z
    .string()
    .nullable()
    .openapi({ description: "The draft (linked by sourcePostId) once ready; null with an error." }),
  error: z.object({ code: z.string(), message: z.string() }).nullable().openapi({
    description: "Why this target got no draft (e.g. repurpose.media_unsupported): the others are unaffected.",
  }),
});

const RepurposeSchema = z
  .object({
    id: z.string(),
    sourcePostId: z.string(),
    status: z.enum(["generating", "ready", "failed"]),
    variants: z.array(VariantSchema),
    usage: z
      .object({
        calls: z.number().int(),
        promptTokens: z.number().int(),
        completionTokens: z.number().int(),
        costUsd: z.number(),
        repaired: z.boolean(),
      })
      .nullable(),
    lastError: LastError,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Repurposing");

export const repurpose = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/repurpose",
      operationId: "createRepurposing",
      tags: ["llm"],
      summary: "Repurpose a post for other accounts (in the background): one draft per target, once",
      security,
      middleware: requireKey(...WRITERS),
      request: { headers: GenerationHeaders, body: body(CreateRepurpose) },
      responses: {
        ...generatingResponses(RepurposeSchema, "repurposing"),
        ...errors,
        ...llmErrors,
      },
    }),
    async (c) => {
      const started = await Repurpose.request(c.get("principal").workspaceId, c.req.valid("json"), idempotencyKey(c));
      return respondGenerating(c, started, Repurpose.toView, `/v1/repurpose/${started.generation.id}`);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/repurpose/{id}",
      operationId: "getRepurposing",
      tags: ["llm"],
      summary: "One repurposing",
      security,
      middleware: requireKey(),
      request: { params: IdParam },
      responses: { 200: json(RepurposeSchema, "The repurposing."), ...errors },
    }),
    async (c) => c.json(await Repurpose.get(c.get("principal").workspaceId, c.req.valid("param").id), 200),
  );
