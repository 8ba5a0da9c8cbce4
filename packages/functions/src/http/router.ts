import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./auth";
import { defaultHook } from "./errors";
import { assertRouteRules, type RouteShape } from "./route-rules";

/**
 * A routes file's app: every route validates through the shared `defaultHook`, and every route
 * registered with `.openapi(...)` must carry an operationId, its security and a 4xx response
 * (route-rules.ts) or the module fails to load.
 */
export const router = () => {
  const app = new OpenAPIHono<AppEnv>({ defaultHook });
  const register = app.openapi.bind(app);
  app.openapi = ((route: RouteShape, ...rest: unknown[]) => {
    assertRouteRules(route);
    return (register as (...args: unknown[]) => unknown)(route, ...rest);
  }) as typeof app.openapi;
  return app;
};
