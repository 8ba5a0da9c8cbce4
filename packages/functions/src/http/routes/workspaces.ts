import { createRoute, z } from "@hono/zod-openapi";
import * as ApiKey from "@studio/core/api-key/api-key";
import { isStorableNumber, STORABLE_NUMBER_MESSAGE } from "@studio/core/validation/index";
import * as Workspace from "@studio/core/workspace/workspace";
import { requireAdmin, requireKey } from "../auth";
import { router } from "../router";
import { body, errors, JsonMap, json, Role, TimeZone, WorkspaceSchema } from "../schemas";

const security = [{ bearerAuth: [] }];

const CreateWorkspace = z.object({
  name: z.string().trim().min(1).max(200),
  timezone: TimeZone,
  brandProfile: JsonMap().optional(),
  publishRetryWindowMinutes: z
    .number()
    .int()
    .min(5)
    .max(7 * 24 * 60)
    .optional()
    .openapi({ description: "Retry window past a post's due time, minutes (default 60)." }),
});

const UpdateWorkspace = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    timezone: TimeZone.optional(),
    brandProfile: JsonMap()
      .nullable()
      .optional()
      .openapi({ description: "null clears it (the LLM features then use defaults)." }),
    preferences: JsonMap().nullable().optional(),
    llmMonthlyBudgetUsd: z
      .number()
      .min(0)
      .max(100_000)
      .refine(isStorableNumber, STORABLE_NUMBER_MESSAGE)
      .nullable()
      .optional()
      .openapi({ description: "USD per UTC month for the LLM features; null: back to the default." }),
    publishRetryWindowMinutes: z
      .number()
      .int()
      .min(5)
      .max(7 * 24 * 60)
      .nullable()
      .optional()
      .openapi({ description: "Retry window past a post's due time, minutes; null: back to the default." }),
  })
  .strict();

const CreateApiKey = z.object({ name: z.string().trim().min(1).max(200), role: Role });

export const workspaces = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/workspaces",
      operationId: "createWorkspace",
      tags: ["workspaces"],
      summary: "Create a workspace and its owner key (admin)",
      security,
      middleware: requireAdmin(),
      request: { body: body(CreateWorkspace) },
      responses: {
        201: json(
          z.object({ workspace: WorkspaceSchema, apiKey: z.string().openapi({ description: "Shown once." }) }),
          "Created; the owner key is shown once.",
        ),
        ...errors,
      },
    }),
    async (c) => c.json(await Workspace.create(c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/workspace",
      operationId: "getWorkspace",
      tags: ["workspaces"],
      summary: "The caller's workspace",
      security,
      middleware: requireKey(),
      responses: { 200: json(WorkspaceSchema, "The workspace."), ...errors },
    }),
    async (c) => c.json(await Workspace.get(c.get("principal").workspaceId), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/v1/workspace",
      operationId: "updateWorkspace",
      tags: ["workspaces"],
      summary: "Change the workspace: name, time zone, brand profile, preferences, LLM budget (owner)",
      security,
      middleware: requireKey("owner"),
      request: { body: body(UpdateWorkspace) },
      responses: { 200: json(WorkspaceSchema, "The workspace after the change."), ...errors },
    }),
    async (c) => c.json(await Workspace.update(c.get("principal").workspaceId, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/api-keys",
      operationId: "createApiKey",
      tags: ["workspaces"],
      summary: "Create an API key (owner)",
      security,
      middleware: requireKey("owner"),
      request: { body: body(CreateApiKey) },
      responses: {
        201: json(
          z.object({
            id: z.string(),
            apiKey: z.string().openapi({ description: "Shown once." }),
            name: z.string(),
            role: Role,
            prefix: z.string(),
            createdAt: z.string(),
          }),
          "Created; the key is shown once.",
        ),
        ...errors,
      },
    }),
    async (c) => c.json(await ApiKey.create(c.get("principal").workspaceId, c.req.valid("json")), 201),
  );
