import { createRoute, z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { app } from "./app";
import { openApiDocument, tidySchemas } from "./openapi";
import { router } from "./router";

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;

function operations() {
  const doc = openApiDocument(app);
  const out: { method: string; path: string; op: Record<string, unknown> }[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Record<string, unknown>)[method];
      if (op) out.push({ method, path, op: op as Record<string, unknown> });
    }
  }
  return out;
}

describe("the OpenAPI document (a contract clients are generated from)", () => {
  it("gives every operation a unique camelCase operationId", () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(10);
    const ids = ops.map(({ op }) => op.operationId);
    for (const { method, path, op } of ops) {
      expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z0-9]*$/);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("declares security and a 4xx on every operation, and 429 on every authenticated one", () => {
    for (const { method, path, op } of operations()) {
      expect(Array.isArray(op.security), `${method} ${path} security`).toBe(true);
      const codes = Object.keys(op.responses as object);
      expect(
        codes.some((c) => c.startsWith("4")),
        `${method} ${path} 4xx`,
      ).toBe(true);
      if ((op.security as unknown[]).length) expect(codes, `${method} ${path}`).toContain("429");
    }
  });

  it("has servers and a license, and no nullable without a type", () => {
    const doc = openApiDocument(app);
    expect(doc.servers?.length).toBeGreaterThan(0);
    expect(doc.info.license?.name).toBeTruthy();
    const bad: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (!node || typeof node !== "object") return;
      const o = node as Record<string, unknown>;
      if (o.nullable === true && !("type" in o) && !("allOf" in o) && !("oneOf" in o) && !("anyOf" in o)) bad.push(at);
      for (const [k, v] of Object.entries(o)) walk(v, `${at}/${k}`);
    };
    walk(doc, "#");
    expect(bad).toEqual([]);
  });

  it("drops nullable from schemas that already admit any value", () => {
    const schema = { a: { nullable: true, description: "any" }, b: { type: "string", nullable: true } };
    tidySchemas(schema);
    expect(schema).toEqual({ a: { description: "any" }, b: { type: "string", nullable: true } });
  });
});

describe("route registration rules (router.ts)", () => {
  const route = (extra: Record<string, unknown>) =>
    createRoute({
      method: "get",
      path: "/v1/x",
      responses: { 200: { description: "ok", content: { "application/json": { schema: z.object({}) } } } },
      ...extra,
    } as never);

  const handler = (() => new Response("{}")) as never;

  it("refuses a route without operationId, security or a 4xx", () => {
    expect(() => router().openapi(route({ security: [] }), handler)).toThrow(/operationId/);
    expect(() => router().openapi(route({ operationId: "getX" }), handler)).toThrow(/security/);
    expect(() => router().openapi(route({ operationId: "getX", security: [] }), handler)).toThrow(/4xx/);
  });

  it("accepts a route that follows them", () => {
    const ok = route({
      operationId: "getX",
      security: [],
      responses: { 200: { description: "ok" }, 404: { description: "no" } },
    });
    expect(() => router().openapi(ok, handler)).not.toThrow();
  });
});
