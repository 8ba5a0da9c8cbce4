import type { OpenAPIHono } from "@hono/zod-openapi";

type Doc = ReturnType<OpenAPIHono["getOpenAPIDocument"]>;

/** The document's header: what `@redocly/cli lint` (recommended) asks of it. */
export const openApiConfig = {
  openapi: "3.0.3",
  info: {
    title: "Studio API",
    version: "1.0.0",
    description:
      "Schedules and publishes posts to Instagram, TikTok and Facebook. Errors: `{ error: { code, message, details } }`. " +
      "Every authenticated route may answer 429 `rate_limited` with `Retry-After` (per API key and per workspace).",
    license: { name: "Proprietary" },
  },
  // Relative: the document describes whichever host serves it (local runtime or API Gateway).
  servers: [{ url: "/", description: "The host serving this document" }],
} as const;

/**
 * OpenAPI 3.0 has no "any value, null included": zod's `z.any()`/`z.unknown()` come out as
 * `{ nullable: true }` without a `type`, which 3.0 forbids (redocly `nullable-type-sibling`).
 * A schema without `type` already admits any JSON value, so `nullable` is dropped there.
 */
export function tidySchemas(node: unknown): void {
  if (!node || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const item of node) tidySchemas(item);
    return;
  }
  const o = node as Record<string, unknown>;
  const composed = "type" in o || "$ref" in o || "allOf" in o || "oneOf" in o || "anyOf" in o;
  if (o.nullable === true && !composed) delete o.nullable;
  for (const value of Object.values(o)) tidySchemas(value);
}

/**
 * The OpenAPI document of `app`, generated from the route schemas (built once per process).
 *
 * @example
 * const doc = openApiDocument(app); // doc.paths["/v1/posts"].get.operationId === "listPosts"
 */
export function openApiDocument(app: Pick<OpenAPIHono, "getOpenAPIDocument">): Doc {
  const doc = app.getOpenAPIDocument(openApiConfig as never);
  tidySchemas(doc.components);
  tidySchemas(doc.paths);
  return doc;
}
