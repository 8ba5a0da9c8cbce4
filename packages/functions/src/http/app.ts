import { apiReference } from "@scalar/hono-api-reference";
import { logger } from "@studio/core/util/logger";
import { createMiddleware } from "hono/factory";
import { bodyGuard } from "./body-guard";
import { errorBody, onError } from "./errors";
import { openApiDocument } from "./openapi";
import { router } from "./router";
import { accounts } from "./routes/accounts";
import { apiKeys } from "./routes/api-keys";
import { calendar } from "./routes/calendar";
import { campaigns } from "./routes/campaigns";
import { competitors } from "./routes/competitors";
import { health } from "./routes/health";
import { jobs } from "./routes/jobs";
import { mediaPulls } from "./routes/media-pulls";
import { metrics } from "./routes/metrics";
import { ops } from "./routes/ops";
import { opsHealth } from "./routes/ops-health";
import { plans } from "./routes/plans";
import { postEdits } from "./routes/post-edits";
import { posts } from "./routes/posts";
import { repurpose } from "./routes/repurpose";
import { usage } from "./routes/usage";
import { workspaces } from "./routes/workspaces";

/** One structured, redacted line per request: never the body, headers or query string. */
const requestLog = createMiddleware(async (c, next) => {
  const started = Date.now();
  await next();
  logger.info("request", {
    method: c.req.method,
    route: c.req.routePath,
    path: c.req.path,
    status: c.res.status,
    ms: Date.now() - started,
    workspaceId: (c.get("principal" as never) as { workspaceId?: string } | undefined)?.workspaceId,
  });
});

/**
 * Studio's HTTP API (api.md). Routes live in routes/ by concern; handlers parse, call core and
 * map. Errors become `{ error: { code, message, details } }` in one place (errors.ts).
 *
 * @example
 * const res = await app.request("/v1/posts", { headers: { authorization: `Bearer ${key}` } });
 */
export const app = router();

app.use("*", requestLog);
// Size, content type and JSON depth of every body, before authentication and parsing.
app.use("*", bodyGuard);
app.onError(onError);
app.notFound((c) => c.json(errorBody("route.not_found", `No route ${c.req.method} ${c.req.path}.`), 404));

app.route("/", health);
app.route("/", workspaces);
app.route("/", apiKeys);
app.route("/", accounts);
app.route("/", posts);
app.route("/", postEdits);
app.route("/", calendar);
app.route("/", campaigns);
app.route("/", ops);
app.route("/", opsHealth);
app.route("/", jobs);
app.route("/", metrics);
app.route("/", competitors);
app.route("/", plans);
app.route("/", usage);
app.route("/", repurpose);
app.route("/", mediaPulls);

app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
  type: "http",
  scheme: "bearer",
  description: "The admin token (admin routes) or a workspace API key (workspace routes).",
});

// Generated on first request, once every route is registered; the same object afterwards.
let document: ReturnType<typeof openApiDocument> | undefined;
app.get("/openapi.json", (c) => {
  document ??= openApiDocument(app);
  return c.json(document);
});

app.get("/docs", apiReference({ url: "/openapi.json", pageTitle: "Studio API" } as never));
