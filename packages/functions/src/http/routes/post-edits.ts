import { createRoute, z } from "@hono/zod-openapi";
import { listEdits } from "@studio/core/caption-edit/caption-edit";
import { deletePost } from "@studio/core/post/delete";
import { editPost } from "@studio/core/post/edit";
import * as Post from "@studio/core/post/post";
import { requireKey, WRITERS } from "../auth";
import { router } from "../router";
import { body, Cursor, errors, IdParam, json, Limit, MediaSchema, PostSchema } from "../schemas";

const security = [{ bearerAuth: [] }];

const EditPost = z
  .object({
    // Limits per platform are checked by the domain (post.caption_too_long); this only bounds the body.
    caption: z.string().max(100_000).optional(),
    media: z.array(MediaSchema).max(20).optional(),
    version: z.number().int().min(1).openapi({ description: "The version you last read." }),
  })
  .strict();

const CaptionEditSchema = z
  .object({
    id: z.string(),
    at: z.string(),
    editedBy: z.string().openapi({ description: "The API key id, or agent:<conversationId>." }),
    before: z.string(),
    after: z.string(),
    patch: z.string().nullable().openapi({ description: "Unified patch (jsdiff) from before to after." }),
    patchOmitted: z
      .enum(["too_large", "too_slow"])
      .nullable()
      .openapi({ description: "Why there is no patch; before and after are complete." }),
    baseVersion: z.number().int(),
  })
  .openapi("CaptionEdit");

const EditsQuery = z.object({ limit: Limit, cursor: Cursor });

/** Edits, caption history and deletion of posts (api.md, second part). */
export const postEdits = router()
  .openapi(
    createRoute({
      method: "patch",
      path: "/v1/posts/{id}",
      operationId: "editPost",
      tags: ["posts"],
      summary: "Edit a post's caption or media",
      description:
        "For a draft, scheduled, failed or cancelled post. `version` is the one you last read: a stale one is 409 " +
        "post.version_conflict with the current post in `details`. A scheduled post keeps its time and goes out " +
        "with the edited caption. Every caption change is recorded (`GET /v1/posts/{id}/edits`).",
      security,
      middleware: requireKey(...WRITERS),
      request: { params: IdParam, body: body(EditPost) },
      responses: { 200: json(PostSchema, "The edited post."), ...errors },
    }),
    async (c) => {
      const { keyId, workspaceId } = c.get("principal");
      return c.json(await editPost(workspaceId, c.req.valid("param").id, c.req.valid("json"), keyId), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/posts/{id}/edits",
      operationId: "listPostEdits",
      tags: ["posts"],
      summary: "A post's caption history, oldest first",
      security,
      middleware: requireKey(),
      request: { params: IdParam, query: EditsQuery },
      responses: {
        200: json(z.object({ items: z.array(CaptionEditSchema), nextCursor: z.string().nullable() }), "The history."),
        ...errors,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await Post.get(c.get("principal").workspaceId, id);
      return c.json(await listEdits(id, c.req.valid("query")), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/v1/posts/{id}",
      operationId: "deletePost",
      tags: ["posts"],
      summary: "Delete a draft, cancelled or failed post",
      security,
      middleware: requireKey(...WRITERS),
      request: { params: IdParam },
      responses: { 204: { description: "Deleted." }, ...errors },
    }),
    async (c) => {
      await deletePost(c.get("principal").workspaceId, c.req.valid("param").id);
      return c.body(null, 204);
    },
  );
