/**
 * What every route of the OpenAPI document must declare, checked when the route is registered
 * (router.ts), so a route added later cannot ship without it (the test command also lints the
 * whole document with `@redocly/cli lint`, recommended rules: scripts/openapi-lint.ts):
 *
 * - `operationId`: camelCase, unique (generated SDKs name their methods after it);
 * - `security`: `[{ bearerAuth: [] }]`, or `[]` for a public route (never left out);
 * - at least one 4xx response (spread `errors` from schemas.ts: it carries 400–429);
 * - at least one 2xx or 3xx response (Redocly's `operation-2xx-response`, widened to redirects).
 */
export interface RouteShape {
  method: string;
  path: string;
  operationId?: string;
  security?: unknown[];
  responses: Record<string | number, unknown>;
}

/** Problems of one route definition; empty when it follows the rules. */
export function routeProblems(route: RouteShape): string[] {
  const where = `${route.method.toUpperCase()} ${route.path}`;
  const out: string[] = [];
  if (!route.operationId || !/^[a-z][A-Za-z0-9]*$/.test(route.operationId)) {
    out.push(`${where}: needs a camelCase operationId (e.g. "listPosts")`);
  }
  if (!Array.isArray(route.security)) {
    out.push(`${where}: needs security ([{ bearerAuth: [] }], or [] for a public route)`);
  }
  if (!Object.keys(route.responses ?? {}).some((code) => /^[23](\d\d|XX)$/.test(code))) {
    out.push(`${where}: needs at least one 2xx (or 3xx) response`);
  }
  if (!Object.keys(route.responses ?? {}).some((code) => /^4(\d\d|XX)$/.test(code))) {
    out.push(`${where}: needs at least one 4xx response (spread \`errors\` from schemas.ts)`);
  }
  return out;
}

/** Throws at registration (module load) when a route breaks the rules: every test then fails. */
export function assertRouteRules(route: RouteShape): void {
  const problems = routeProblems(route);
  if (problems.length) throw new Error(`OpenAPI route rules: ${problems.join("; ")}`);
}
