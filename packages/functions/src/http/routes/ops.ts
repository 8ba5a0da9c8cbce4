import { createRoute, z } from "@hono/zod-openapi";
import { queues } from "@studio/core/config/jobs";
import { queueDepths } from "@studio/core/ops/queues";
import * as Post from "@studio/core/post/post";
import { bodyMatches, peekDeadLetters, replayDeadLetters } from "@studio/core/publish/dlq";
import { listUnconfirmed } from "@studio/core/publish/unconfirmed";
import { requireAdmin } from "../auth";
import { router } from "../router";
import { body, errors, IdParam, json, PostSchema } from "../schemas";

const security = [{ bearerAuth: [] }];
const admin = requireAdmin();

const QueueName = z.enum(Object.keys(queues) as [keyof typeof queues, ...(keyof typeof queues)[]]);

const Settle = z
  .object({
    outcome: z.enum(["published", "failed"]),
    externalPostId: z.string().trim().min(1).max(200).optional(),
    reason: z.string().trim().min(1).max(1000).optional(),
  })
  .openapi("SettleRequest");

const DeadLetter = z
  .object({
    messageId: z.string(),
    body: z.any(),
    receiveCount: z.number().int(),
    sentAt: z.string().nullable(),
    firstFailure: z.string().nullable(),
    lastFailure: z.string().nullable(),
  })
  .openapi("DeadLetter");

const Replay = z.object({
  limit: z.number().int().min(1).max(1000).optional(),
  dryRun: z.boolean().optional(),
  postId: z.string().min(1).max(128).optional().openapi({ description: "Only the letters of this post." }),
});

const QueueParam = z.object({ queue: QueueName.openapi({ param: { name: "queue", in: "path" } }) });

const QueueDepth = z.object({
  queue: QueueName,
  visible: z.number().int(),
  inFlight: z.number().int(),
  delayed: z.number().int(),
  deadLetters: z.number().int(),
});

const Unconfirmed = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    accountId: z.string(),
    platform: z.enum(["instagram", "facebook", "tiktok"]),
    caption: z.string(),
    scheduledFor: z.string().nullable(),
    finalCallAt: z.string().nullable(),
    containerId: z.string().nullable(),
    publishId: z.string().nullable(),
    lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
    nextCheckAt: z
      .string()
      .nullable()
      .openapi({ description: "The next automatic re-check; null once Studio has stopped asking." }),
    check: z.string().openapi({ description: "What to look at on the platform before settling." }),
  })
  .openapi("UnconfirmedPost");

const UnconfirmedQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .openapi({ param: { name: "limit", in: "query" } }),
});

export const ops = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/ops/unconfirmed",
      operationId: "listUnconfirmedPosts",
      tags: ["ops"],
      summary: "Unconfirmed posts of every workspace, oldest first (admin)",
      security,
      middleware: admin,
      request: { query: UnconfirmedQuery },
      responses: {
        200: json(
          z.object({ items: z.array(Unconfirmed), total: z.number().int() }),
          "Posts whose outcome Studio could not establish; settle them with POST /v1/ops/posts/{id}/settle.",
        ),
        ...errors,
      },
    }),
    async (c) => c.json(await listUnconfirmed({ limit: c.req.valid("query").limit }), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/ops/queues",
      operationId: "getQueueDepths",
      tags: ["ops"],
      summary: "Depth of every queue and of its DLQ (admin)",
      security,
      middleware: admin,
      responses: { 200: json(z.object({ items: z.array(QueueDepth) }), "Approximate counts from SQS."), ...errors },
    }),
    async (c) => c.json({ items: await queueDepths() }, 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/ops/posts/{id}/settle",
      operationId: "settlePost",
      tags: ["ops"],
      summary: "Settle an unconfirmed post by hand (admin)",
      security,
      middleware: admin,
      request: { params: IdParam, body: body(Settle) },
      responses: { 200: json(PostSchema, "Settled."), ...errors },
    }),
    async (c) => c.json(await Post.settle(c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/ops/dlq/{queue}",
      operationId: "peekDeadLetters",
      tags: ["ops"],
      summary: "Peek at dead letters (admin)",
      security,
      middleware: admin,
      request: {
        params: QueueParam,
        query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(10) }),
      },
      responses: { 200: json(z.object({ items: z.array(DeadLetter) }), "Dead letters, left in the DLQ."), ...errors },
    }),
    async (c) => {
      const { queue } = c.req.valid("param");
      const { limit } = c.req.valid("query");
      return c.json({ items: await peekDeadLetters(queue, limit) } as never, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/ops/dlq/{queue}/replay",
      operationId: "replayDeadLetters",
      tags: ["ops"],
      summary: "Replay dead letters to their queue (admin); never publishes a post twice",
      security,
      middleware: admin,
      request: {
        params: QueueParam,
        // Optional: a replay with no body takes the defaults.
        body: { required: false, content: { "application/json": { schema: Replay } } },
      },
      responses: {
        200: json(
          z.object({
            replayed: z.number().int(),
            skipped: z.number().int(),
            dryRun: z.boolean(),
            messageIds: z.array(z.string()),
          }),
          "What was (or, with dryRun, would be) sent back to the queue.",
        ),
        ...errors,
      },
    }),
    async (c) => {
      const { queue } = c.req.valid("param");
      const { limit, dryRun, postId } = c.req.valid("json");
      const filter = postId ? bodyMatches({ postId }) : undefined;
      return c.json(await replayDeadLetters(queue, { limit, dryRun, filter }), 200);
    },
  );
