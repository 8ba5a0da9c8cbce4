import { createRoute, z } from "@hono/zod-openapi";
import * as ApiKey from "@studio/core/api-key/api-key";
import * as KeyLifecycle from "@studio/core/api-key/key-lifecycle";
import { ValidationError } from "@studio/core/errors";
import * as Workspace from "@studio/core/workspace/workspace";
import type { Context } from "hono";
import { type AppEnv, requireAdmin, requireKey } from "../auth";
import { router } from "../router";
import { body, Cursor, errors, json, Limit, page, Role } from "../schemas";

const security = [{ bearerAuth: [] }];
const owner = requireKey("owner");
const admin = requireAdmin();

const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: Role,
    prefix: z.string().openapi({ description: "The key's first characters, to recognise it. Never the key." }),
    status: z.enum(["active", "expiring", "revoked"]).openapi({
      description: "`expiring`: rotated, still accepted until `revokedAt`.",
    }),
    createdAt: z.string(),
    revokedAt: z.string().nullable().openapi({ description: "From this instant on the key is refused." }),
    replacedBy: z.string().nullable(),
  })
  .openapi("ApiKey");

const CreatedKey = z
  .object({
    id: z.string(),
    apiKey: z.string().openapi({ description: "Shown once." }),
    name: z.string(),
    role: Role,
    prefix: z.string(),
    createdAt: z.string(),
  })
  .openapi("CreatedApiKey");

const RotatedKey = CreatedKey.extend({
  replaces: z.object({ id: z.string(), revokedAt: z.string() }),
}).openapi("RotatedApiKey");

const Rotate = z
  .object({
    graceSeconds: z
      .number()
      .int()
      .min(0)
      .max(KeyLifecycle.MAX_GRACE_SECONDS)
      .optional()
      .openapi({ description: "How long the old key keeps working (default 86400; 0 = revoked now)." }),
  })
  .strict();

const CreateApiKey = z.object({ name: z.string().trim().min(1).max(200), role: Role });
const ListQuery = z.object({ limit: Limit, cursor: Cursor });
const KeyParam = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "id", in: "path" } }),
});
const WorkspaceParam = z.object({
  workspaceId: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "workspaceId", in: "path" } }),
});
const optionalBody = <T extends z.ZodTypeAny>(schema: T) => ({ ...body(schema), required: false });

/** The rotate body is optional: no body (or an empty one) means the default grace period. */
async function graceOf(c: Context): Promise<number | undefined> {
  const text = await c.req.text();
  if (!text.trim()) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = Symbol("invalid");
  }
  const result = Rotate.safeParse(parsed);
  if (!result.success) {
    throw new ValidationError(
      "validation_failed",
      "Invalid request.",
      result.error.issues.map((i) => ({ path: i.path.join(".") || "body", message: i.message })),
    );
  }
  return result.data.graceSeconds;
}

const workspaceOf = (c: Context<AppEnv>) => c.get("principal").workspaceId;

/** Key lifecycle: list, revoke and rotate, by the workspace's owner and by the operator. */
export const apiKeys = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/api-keys",
      operationId: "listApiKeys",
      tags: ["api keys"],
      summary: "The workspace's API keys, never the keys themselves (owner)",
      security,
      middleware: owner,
      request: { query: ListQuery },
      responses: { 200: json(page(ApiKeySchema), "A page of keys."), ...errors },
    }),
    async (c) => c.json(await KeyLifecycle.list(workspaceOf(c), c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/api-keys/{id}/revoke",
      operationId: "revokeApiKey",
      tags: ["api keys"],
      summary: "Revoke a key now (owner); idempotent",
      description: "Refused at once by this instance and within 30 s (the key cache) by every other.",
      security,
      middleware: owner,
      request: { params: KeyParam },
      responses: { 200: json(ApiKeySchema, "The key, revoked."), ...errors },
    }),
    async (c) => c.json(await KeyLifecycle.revoke(workspaceOf(c), c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/api-keys/{id}/rotate",
      operationId: "rotateApiKey",
      tags: ["api keys"],
      summary: "Rotate a key (owner): a new key, the old one accepted for a grace period",
      security,
      middleware: owner,
      request: { params: KeyParam, body: optionalBody(Rotate) },
      responses: { 201: json(RotatedKey, "The new key, shown once."), ...errors },
    }),
    async (c) => {
      const graceSeconds = await graceOf(c);
      return c.json(await KeyLifecycle.rotate(workspaceOf(c), c.req.valid("param").id, { graceSeconds }), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/workspaces/{workspaceId}/api-keys",
      operationId: "adminListApiKeys",
      tags: ["api keys"],
      summary: "A workspace's API keys (admin)",
      security,
      middleware: admin,
      request: { params: WorkspaceParam, query: ListQuery },
      responses: { 200: json(page(ApiKeySchema), "A page of keys."), ...errors },
    }),
    async (c) => {
      const { workspaceId } = c.req.valid("param");
      await Workspace.get(workspaceId);
      return c.json(await KeyLifecycle.list(workspaceId, c.req.valid("query")), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/workspaces/{workspaceId}/api-keys",
      operationId: "adminCreateApiKey",
      tags: ["api keys"],
      summary: "Create a key for a workspace (admin), e.g. when its owner key is lost",
      security,
      middleware: admin,
      request: { params: WorkspaceParam, body: body(CreateApiKey) },
      responses: { 201: json(CreatedKey, "Created; the key is shown once."), ...errors },
    }),
    async (c) => {
      const { workspaceId } = c.req.valid("param");
      await Workspace.get(workspaceId);
      return c.json(await ApiKey.create(workspaceId, c.req.valid("json")), 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/workspaces/{workspaceId}/api-keys/{id}/revoke",
      operationId: "adminRevokeApiKey",
      tags: ["api keys"],
      summary: "Revoke a workspace's key now (admin)",
      security,
      middleware: admin,
      request: { params: WorkspaceParam.merge(KeyParam) },
      responses: { 200: json(ApiKeySchema, "The key, revoked."), ...errors },
    }),
    async (c) => {
      const { workspaceId, id } = c.req.valid("param");
      return c.json(await KeyLifecycle.revoke(workspaceId, id), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/workspaces/{workspaceId}/api-keys/{id}/rotate",
      operationId: "adminRotateApiKey",
      tags: ["api keys"],
      summary: "Rotate a workspace's key (admin)",
      security,
      middleware: admin,
      request: { params: WorkspaceParam.merge(KeyParam), body: optionalBody(Rotate) },
      responses: { 201: json(RotatedKey, "The new key, shown once."), ...errors },
    }),
    async (c) => {
      const { workspaceId, id } = c.req.valid("param");
      const graceSeconds = await graceOf(c);
      return c.json(await KeyLifecycle.rotate(workspaceId, id, { graceSeconds }), 201);
    },
  );
