import { createRoute, z } from "@hono/zod-openapi";
import * as Account from "@studio/core/account/account";
import { PLATFORMS } from "@studio/core/platforms";
import { requireKey, WRITERS } from "../auth";
import { router } from "../router";
import { AccountSchema, body, Cursor, errors, IdParam, Instant, json, Limit, page } from "../schemas";

const security = [{ bearerAuth: [] }];
const utc = (s: string | undefined) => (s ? new Date(s).toISOString() : undefined);

const Connect = z.object({
  platform: z.enum(PLATFORMS),
  externalAccountId: z.string().trim().min(1).max(200),
  handle: z.string().trim().min(1).max(200),
  accessToken: z.string().min(1).max(8192),
  refreshToken: z.string().min(1).max(8192).optional(),
  expiresAt: Instant.optional(),
  refreshExpiresAt: Instant.optional(),
});

export const accounts = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/accounts",
      operationId: "connectAccount",
      tags: ["accounts"],
      summary: "Connect (or reconnect) a platform account",
      description:
        "Tokens are encrypted at rest and never returned. Connecting the same account again updates its tokens and reactivates it.",
      security,
      middleware: requireKey(...WRITERS),
      request: { body: body(Connect) },
      responses: { 201: json(AccountSchema, "The account (no tokens)."), ...errors },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const account = await Account.connect(c.get("principal").workspaceId, {
        ...input,
        expiresAt: utc(input.expiresAt),
        refreshExpiresAt: utc(input.refreshExpiresAt),
      });
      return c.json(account, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/accounts",
      operationId: "listAccounts",
      tags: ["accounts"],
      summary: "The workspace's accounts",
      security,
      middleware: requireKey(),
      request: { query: z.object({ limit: Limit, cursor: Cursor }) },
      responses: { 200: json(page(AccountSchema), "A page of accounts."), ...errors },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      return c.json(await Account.list(c.get("principal").workspaceId, { limit, cursor }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/accounts/{id}",
      operationId: "getAccount",
      tags: ["accounts"],
      summary: "One account",
      security,
      middleware: requireKey(),
      request: { params: IdParam },
      responses: { 200: json(AccountSchema, "The account."), ...errors },
    }),
    async (c) => c.json(await Account.get(c.get("principal").workspaceId, c.req.valid("param").id), 200),
  );
