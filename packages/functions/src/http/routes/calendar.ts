import { createRoute, z } from "@hono/zod-openapi";
import { getCalendar, MAX_CALENDAR_DAYS } from "@studio/core/calendar/calendar";
import { calendarDate } from "@studio/core/validation/index";
import { requireKey } from "../auth";
import { router } from "../router";
import { errors, json, PostSchema, TimeZone } from "../schemas";

const CalendarQuery = z.object({
  from: calendarDate().openapi({ description: "First local date (YYYY-MM-DD), inclusive.", example: "2026-12-01" }),
  to: calendarDate().openapi({
    description: `Local date (YYYY-MM-DD) after the last day, exclusive; at most ${MAX_CALENDAR_DAYS} days after from.`,
    example: "2026-12-08",
  }),
  tz: TimeZone.optional().openapi({ description: "IANA time zone; the workspace's by default." }),
});

const ConflictSchema = z
  .object({
    code: z.literal("post.nearby_post"),
    accountId: z.string(),
    postIds: z.array(z.string()),
    from: z.string(),
    to: z.string(),
  })
  .openapi("CalendarConflict");

const CalendarSchema = z
  .object({
    timezone: z.string(),
    from: z.string(),
    to: z.string(),
    days: z.array(
      z.object({
        date: z.string(),
        startsAt: z.string(),
        endsAt: z.string(),
        posts: z.array(PostSchema),
        conflicts: z.array(ConflictSchema),
      }),
    ),
    truncated: z.boolean(),
    nextFrom: z.string().nullable(),
  })
  .openapi("Calendar");

export const calendar = router().openapi(
  createRoute({
    method: "get",
    path: "/v1/calendar",
    operationId: "getCalendar",
    tags: ["calendar"],
    summary: "Posts by local day, with conflicts",
    description:
      "Days cut at local midnight in the workspace's time zone (or `tz`), DST-correct (a spring-forward day lasts " +
      "23 hours). Conflicts: posts of one account within 10 minutes of each other. More than 1,000 posts in the " +
      "range: the answer stops after the last complete day, `truncated` is true, and `nextFrom` says where to go on.",
    security: [{ bearerAuth: [] }],
    middleware: requireKey(),
    request: { query: CalendarQuery },
    responses: { 200: json(CalendarSchema, "The calendar."), ...errors },
  }),
  async (c) => c.json(await getCalendar(c.get("principal").workspaceId, c.req.valid("query")), 200),
);
