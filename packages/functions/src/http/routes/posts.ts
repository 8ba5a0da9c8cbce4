import { createRoute, z } from "@hono/zod-openapi";
import * as Post from "@studio/core/post/post";
import { POST_STATUSES } from "@studio/core/post/post.entity";
import { orderedRange } from "@studio/core/validation/index";
import { requireKey, WRITERS } from "../auth";
import { idempotencyKey } from "../generation";
import { router } from "../router";
import {
  body,
  Cursor,
  errors,
  IdParam,
  Instant,
  json,
  Limit,
  MediaSchema,
  PostSchema,
  PostWithWarnings,
  page,
} from "../schemas";

const security = [{ bearerAuth: [] }];
const writers = requireKey(...WRITERS);
const readers = requireKey();

const CreatePost = z.object({
  accountId: z.string().min(1).max(128),
  // Limits per platform are checked by the domain (post.caption_too_long); this only bounds the body.
  caption: z.string().max(100_000),
  media: z.array(MediaSchema).max(20),
  scheduledFor: Instant.optional(),
});

const When = z.object({ scheduledFor: Instant });

const CreateHeaders = z.object({
  "idempotency-key": z.string().min(1).max(255).optional().openapi({
    description:
      "Retrying with the same key (and body) returns the same post (201, `Idempotent-Replayed: true`), never a second one; the same key with another body is 409 `idempotency.key_reused`. Remembered as long as the post exists.",
  }),
});

const ListQuery = orderedRange(
  z.object({
    status: z.enum(POST_STATUSES).optional(),
    accountId: z.string().min(1).max(128).optional(),
    from: Instant.optional().openapi({ description: "Inclusive, on scheduledFor." }),
    to: Instant.optional().openapi({ description: "Exclusive, on scheduledFor; not before from." }),
    limit: Limit,
    cursor: Cursor,
  }),
  "from",
  "to",
);

const withWarnings = (r: { post: Post.PostView; warnings: Post.NearbyWarning[] }) => ({
  ...r.post,
  warnings: r.warnings,
});

export const posts = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/posts",
      operationId: "createPost",
      tags: ["posts"],
      summary: "Create a draft post",
      security,
      middleware: writers,
      request: { headers: CreateHeaders, body: body(CreatePost) },
      responses: {
        201: json(PostWithWarnings, "The draft (or, for a retried Idempotency-Key, the same post)."),
        ...errors,
      },
    }),
    async (c) => {
      const key = idempotencyKey(c);
      const created = await Post.create(c.get("principal").workspaceId, c.req.valid("json"), undefined, {
        idempotencyKey: key,
      });
      if (created.replayed) c.header("Idempotent-Replayed", "true");
      return c.json(withWarnings(created), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/posts/{id}",
      operationId: "getPost",
      tags: ["posts"],
      summary: "One post",
      security,
      middleware: readers,
      request: { params: IdParam },
      responses: { 200: json(PostSchema, "The post."), ...errors },
    }),
    async (c) => c.json(await Post.get(c.get("principal").workspaceId, c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/posts",
      operationId: "listPosts",
      tags: ["posts"],
      summary: "The calendar: posts sorted by scheduledFor",
      description:
        "Unscheduled drafts come last; a from/to range excludes them. A request reads at most 200 items: with a status " +
        "filter a page may hold fewer than `limit` items (even none) and a `nextCursor`; follow it until it is null. " +
        "An unknown `accountId`, or another workspace's, gives an empty page.",
      security,
      middleware: readers,
      request: { query: ListQuery },
      responses: { 200: json(page(PostSchema), "A page of posts."), ...errors },
    }),
    async (c) => c.json(await Post.list(c.get("principal").workspaceId, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/posts/{id}/schedule",
      operationId: "schedulePost",
      tags: ["posts"],
      summary: "Schedule a draft, failed or cancelled post",
      security,
      middleware: writers,
      request: { params: IdParam, body: body(When) },
      responses: { 200: json(PostWithWarnings, "Scheduled; warnings name nearby posts."), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { scheduledFor } = c.req.valid("json");
      return c.json(withWarnings(await Post.schedule(c.get("principal").workspaceId, id, scheduledFor)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/posts/{id}/move",
      operationId: "movePost",
      tags: ["posts"],
      summary: "Move a draft or scheduled post",
      security,
      middleware: writers,
      request: { params: IdParam, body: body(When) },
      responses: { 200: json(PostWithWarnings, "Moved; warnings name nearby posts."), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { scheduledFor } = c.req.valid("json");
      return c.json(withWarnings(await Post.move(c.get("principal").workspaceId, id, scheduledFor)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/posts/{id}/cancel",
      operationId: "cancelPost",
      tags: ["posts"],
      summary: "Cancel a draft or scheduled post",
      security,
      middleware: writers,
      request: { params: IdParam },
      responses: { 200: json(PostSchema, "Cancelled."), ...errors },
    }),
    async (c) => c.json(await Post.cancel(c.get("principal").workspaceId, c.req.valid("param").id), 200),
  );
