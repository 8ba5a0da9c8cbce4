import { createRoute, z } from "@hono/zod-openapi";
import { type ScheduleKind, schedules } from "@studio/core/config/jobs";
import * as JobRun from "@studio/core/job-run/job-run";
import { JOB_RUN_STATUSES } from "@studio/core/job-run/job-run.entity";
import { runSchedule } from "../../cron/schedules";
import { requireAdmin } from "../auth";
import { router } from "../router";
import { errors, json } from "../schemas";

const security = [{ bearerAuth: [] }];
const admin = requireAdmin();

const names = Object.keys(schedules) as [ScheduleKind, ...ScheduleKind[]];
const ScheduleName = z.enum(names).openapi({ description: "A schedule of config/jobs.ts." });

const JobRunSchema = z
  .object({
    id: z.string(),
    kind: ScheduleName,
    trigger: z.enum(["schedule", "manual"]),
    startedAt: z.string(),
    finishedAt: z
      .string()
      .nullable()
      .openapi({ description: "Set once the run and its whole fan-out have finished; null while running." }),
    status: z.enum(JOB_RUN_STATUSES).openapi({
      description:
        "`skipped`: the run did nothing on purpose; `note` says why (e.g. weekly reports are not built yet).",
    }),
    note: z.string().nullable().openapi({ description: "What the run did, in words, when its counts cannot say it." }),
    durationMs: z.number().int().nullable(),
    counts: z.record(z.number()),
    failures: z.array(z.object({ ref: z.string(), reason: z.string() })),
    parts: z.object({
      sent: z.number().int().nullable().openapi({ description: "Messages fanned out (null: no fan-out yet/none)." }),
      done: z.number().int(),
    }),
  })
  .openapi("JobRun");

/** A run can take its API request this long (the API Lambda's timeout is 29 s). */
const INLINE_BUDGET_MS = 15_000;

export const jobs = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/ops/jobs",
      operationId: "listJobRuns",
      tags: ["ops"],
      summary: "Recent job runs, newest first (admin)",
      security,
      middleware: admin,
      request: {
        query: z.object({
          kind: ScheduleName.optional(),
          limit: z.coerce.number().int().min(1).max(200).default(20),
        }),
      },
      responses: {
        200: json(z.object({ items: z.array(JobRunSchema) }), "Runs of one schedule, or of all."),
        ...errors,
      },
    }),
    async (c) => {
      const { kind, limit } = c.req.valid("query");
      return c.json((await JobRun.list(kind ? [kind] : names, limit)) as never, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/ops/schedules/{name}/run",
      operationId: "runSchedule",
      tags: ["ops"],
      summary: "Fire a schedule now (admin): a run of its own",
      description:
        "Runs the schedule's own step now (the dispatcher's pass, or a fan-out's messages) and answers once it is " +
        "recorded; the fanned-out work goes on in its queue. Follow the run with `GET /v1/ops/jobs`.",
      security,
      middleware: admin,
      request: { params: z.object({ name: ScheduleName.openapi({ param: { name: "name", in: "path" } }) }) },
      responses: { 202: json(z.object({ runId: z.string() }), "Started; its id."), ...errors },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      const { runId } = await runSchedule(name, { trigger: "manual", budgetMs: INLINE_BUDGET_MS });
      return c.json({ runId }, 202);
    },
  );
