import * as ApiKey from "@studio/core/api-key/api-key";
import { ForbiddenError, UnauthorizedError } from "@studio/core/errors";
import { admit } from "@studio/core/rate-limit/rate-limit";
import { createMiddleware } from "hono/factory";

export type KeyPrincipal = Extract<ApiKey.Principal, { kind: "key" }>;

/** Context variables set by the auth middleware. */
export interface AppEnv {
  Variables: { principal: KeyPrincipal };
}

async function principalOf(header: string | undefined): Promise<ApiKey.Principal> {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match?.[1]) throw new UnauthorizedError();
  const principal = await ApiKey.authenticate(match[1]);
  if (!principal)
    throw new UnauthorizedError("The credential is not a valid API key or admin token (unknown, revoked or expired).");
  // Every authenticated request counts, per key (the admin token as "admin") and per workspace:
  // 429 with Retry-After once spent (rate-limit/rate-limit.ts, docs/rate-limits.md).
  await admit(principal.kind === "admin" ? { keyId: "admin" } : principal);
  return principal;
}

/**
 * Workspace routes: a workspace API key, with one of `roles` (all roles when omitted). The
 * admin token is the wrong kind of credential here: 403.
 */
export const requireKey = (...roles: ApiKey.Role[]) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const principal = await principalOf(c.req.header("authorization"));
    if (principal.kind !== "key") throw new ForbiddenError("Workspace routes need a workspace API key.");
    if (roles.length && !roles.includes(principal.role)) {
      throw new ForbiddenError(`This needs one of the roles: ${roles.join(", ")}.`);
    }
    c.set("principal", principal);
    await next();
  });

/** Operator routes: the admin token only; a workspace key gets 403. */
export const requireAdmin = () =>
  createMiddleware(async (c, next) => {
    const principal = await principalOf(c.req.header("authorization"));
    if (principal.kind !== "admin") throw new ForbiddenError("This route needs the admin token.");
    await next();
  });

/** Roles that may change things. Viewers read only. */
export const WRITERS: ApiKey.Role[] = ["owner", "editor"];
