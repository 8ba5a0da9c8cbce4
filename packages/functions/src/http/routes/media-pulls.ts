import { createRoute, z } from "@hono/zod-openapi";
import { isTicket, recordPull } from "@studio/core/publish/media-pull";
import { errorBody } from "../errors";
import { router } from "../router";
import { errors } from "../schemas";

const Params = z.object({
  postId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "postId", in: "path" } }),
  ticket: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "ticket", in: "path" } }),
});

/**
 * Where a platform fetches a post's media (TikTok PULL_FROM_URL): public, the unguessable ticket
 * is the capability. The fetch is recorded before the answer (core/publish/media-pull.ts), so a
 * lost init answer can be settled: a ticket closed before any fetch can never serve the video.
 */
export const mediaPulls = router().openapi(
  createRoute({
    method: "get",
    path: "/v1/media-pulls/{postId}/{ticket}",
    operationId: "pullPostMedia",
    tags: ["publishing"],
    summary: "A platform fetches a post's media (redirect to it; the fetch is recorded)",
    description:
      "Handed to TikTok as the video URL of one publish request. Answers 302 to the media while the ticket is the post's current one; 410 `media.pull_closed` for any other ticket of a well-formed shape (closed by Studio: that publish request can then never post anything; or never issued); 404 `media.pull_not_found` for anything else.",
    security: [],
    request: { params: Params },
    responses: {
      302: {
        description: "The media: follow `Location`.",
        headers: { Location: { description: "The media's URL.", schema: { type: "string" as const } } },
      },
      404: errors[404],
      410: {
        ...errors[404],
        description: "The ticket is not (or no longer) the post's: this fetch is refused for good.",
      },
      429: errors[429],
    },
  }),
  async (c) => {
    const { postId, ticket } = c.req.valid("param");
    if (!isTicket(ticket)) return c.json(errorBody("media.pull_not_found", "No such media ticket."), 404);
    const target = await recordPull(postId, ticket);
    if (!target) return c.json(errorBody("media.pull_closed", "This media ticket is closed."), 410);
    c.header("Cache-Control", "no-store");
    return c.redirect(target, 302);
  },
);
