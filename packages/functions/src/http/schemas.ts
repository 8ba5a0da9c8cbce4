import { z } from "@hono/zod-openapi";
import { ACCOUNT_STATUSES } from "@studio/core/account/account.entity";
import { ROLES } from "@studio/core/api-key/api-key.entity";
import { PLATFORMS } from "@studio/core/platforms";
import { POST_STATUSES } from "@studio/core/post/post.entity";
import { isTimeZone } from "@studio/core/util/time";
import { calendarDate, cursor, instant, jsonMap } from "@studio/core/validation/index";

/**
 * An ISO-8601 instant with an offset or Z, a real one (no 2026-11-31), years 1970–9999. The
 * server stores and returns it in UTC. The shared helpers are in core/validation/.
 */
export const Instant = instant().openapi({
  type: "string",
  format: "date-time",
  example: "2026-12-01T09:30:00.000+01:00",
});

/** A real calendar date `YYYY-MM-DD`, years 1970–9999. */
export const CalendarDate = calendarDate().openapi({ type: "string", format: "date", example: "2026-12-01" });

/** A free-form JSON object with limits (depth, keys, sizes, finite safe numbers). */
export const JsonMap = () =>
  jsonMap().openapi({
    type: "object",
    additionalProperties: true,
    description: "Free-form JSON object: at most 8 levels, 100 keys per object, 10,000 characters per string, 32 KB.",
  });

export const TimeZone = z
  .string()
  .min(1)
  .refine(isTimeZone, "Must be an IANA time zone such as Europe/Paris.")
  .openapi({ example: "Europe/Paris" });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "post.not_found" }),
      message: z.string(),
      details: z.any().openapi({ description: "For validation_failed: [{ path, message }] per bad field." }),
    }),
  })
  .openapi("Error");

const err = (description: string) => ({ content: { "application/json": { schema: ErrorSchema } }, description });

/** Error responses shared by routes, for the OpenAPI document. */
export const errors = {
  400: err("Invalid input (validation_failed or a specific code)."),
  401: err("No or unknown bearer token."),
  403: err("Wrong role or wrong kind of token."),
  404: err("Not found, or another workspace's."),
  409: err("State or version conflict."),
  429: {
    ...err("Rate limited (per API key, per workspace, or the stage's throttle); retry after `Retry-After` seconds."),
    headers: { "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" as const } } },
  },
};

/** Error responses of routes that may call the LLM synchronously or start LLM work (api.md codes). */
export const llmErrors = {
  422: err("`llm.refused`: the model declined the request."),
  502: err("`llm.invalid_output`: no valid answer after one repair."),
  503: {
    ...err("`llm.unavailable`: timeouts, 5xx or rate limits after retries; retry after `Retry-After` seconds."),
    headers: { "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" as const } } },
  },
};

/** A background generation's error (api.md LLM codes, or `generation.failed`). */
export const LastError = z.object({ code: z.string(), message: z.string() }).nullable();

export const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

export const body = <T extends z.ZodTypeAny>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const WorkspaceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    timezone: z.string(),
    brandProfile: z.any(),
    preferences: z.any(),
    publishRetryWindowMinutes: z.number().int().nullable().openapi({
      description: "How long past a post's time retryable failures are retried (null: one hour).",
    }),
    llmMonthlyBudgetUsd: z.number().openapi({ description: "USD per UTC month the LLM features may spend." }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Workspace");

export const AccountSchema = z
  .object({
    id: z.string(),
    platform: z.enum(PLATFORMS),
    externalAccountId: z.string(),
    handle: z.string(),
    status: z.enum(ACCOUNT_STATUSES),
    statusReason: z.string().nullable(),
    expiresAt: z.string().nullable(),
    refreshExpiresAt: z.string().nullable(),
    warnings: z.array(z.object({ code: z.string(), message: z.string() })).openapi({
      description:
        "What to do before it turns into failed posts, e.g. `account.reconnect_soon` when TikTok's authorization ends within 14 days (set by the token keeper).",
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Account");

export const MediaSchema = z.object({
  url: z
    .string()
    .url()
    .max(2048)
    .refine((u) => /^https?:\/\//i.test(u), "Must be an http(s) URL."),
  type: z.enum(["image", "video"]),
});

export const PostSchema = z
  .object({
    id: z.string(),
    accountId: z.string(),
    platform: z.enum(PLATFORMS),
    caption: z.string(),
    originalCaption: z.string().openapi({ description: "The first caption, kept forever." }),
    media: z.array(z.object({ url: z.string(), type: z.enum(["image", "video"]) })),
    status: z.enum(POST_STATUSES),
    scheduledFor: z.string().nullable(),
    attempts: z.number().int(),
    externalPostId: z.string().nullable(),
    platformPostId: z
      .string()
      .nullable()
      .openapi({ description: "The id the platform shows the live post under; metrics are read with it." }),
    removedOnPlatformAt: z
      .string()
      .nullable()
      .openapi({ description: "When the platform answered that the post no longer exists there." }),
    publishedAt: z.string().nullable(),
    heldUntil: z.string().nullable().openapi({
      description:
        "Held back by an open breaker or a daily cap: the post is scheduled again and goes out at this instant unless moved or cancelled.",
    }),
    lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
    planId: z.string().nullable().openapi({ description: "The weekly plan that proposed this draft." }),
    sourcePostId: z.string().nullable().openapi({ description: "The post this one was repurposed from." }),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Post");

export const WarningSchema = z
  .object({
    code: z.literal("post.nearby_post"),
    message: z.string(),
    postId: z.string(),
    scheduledFor: z.string(),
  })
  .openapi("NearbyPostWarning");

export const PostWithWarnings = PostSchema.extend({ warnings: z.array(WarningSchema) }).openapi("PostWithWarnings");

export const Role = z.enum(ROLES);

export const Limit = z.coerce.number().int().min(1).max(200).default(50);
/**
 * `?cursor=`: only what could be a `nextCursor` Studio issued (base64url JSON of a key of the
 * table, core/validation/cursor.ts); anything else is 400 `validation_failed` on `cursor`.
 */
export const Cursor = cursor().optional().openapi({
  type: "string",
  pattern: "^[A-Za-z0-9_-]+$",
  maxLength: 2048,
  description: "The `nextCursor` of the previous page, as is (opaque).",
});

export const page = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
