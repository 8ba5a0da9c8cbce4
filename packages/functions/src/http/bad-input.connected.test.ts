import { connectedEnv } from "@studio/local/testing/connected";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { app } from "./app";
import { openApiDocument } from "./openapi";
import { adminToken, call, newAccount, newKey, newWorkspace } from "./testing/client";

/**
 * Property: every operation of the OpenAPI document, driven with generated bad input (path
 * parameters, query, body, content type, credentials), never answers 5xx, and every error is
 * `{ error: { code, message, details } }`. Runs per operation are few (CI has 2 busy cores);
 * a failure prints fast-check's seed and the shrunk input to replay it.
 */
const RUNS = Number(process.env.STUDIO_FUZZ_RUNS ?? 8);
const METHODS = ["get", "post", "put", "patch", "delete"] as const;
const saved = process.env.STUDIO_RATE_LIMIT_PER_KEY;

type Schema = { $ref?: string; properties?: Record<string, unknown>; type?: string };
type Operation = {
  method: string;
  path: string;
  params: { name: string; in: string }[];
  bodyProps: string[];
  hasBody: boolean;
};

const doc = openApiDocument(app);
const resolve = (s: Schema | undefined): Schema | undefined => {
  if (!s?.$ref) return s;
  return ((doc.components?.schemas ?? {}) as Record<string, Schema>)[s.$ref.split("/").pop() as string];
};
const operations: Operation[] = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
  METHODS.filter((m) => (item as Record<string, unknown>)[m]).map((method) => {
    const op = (item as Record<string, Record<string, unknown>>)[method] as Record<string, unknown>;
    const body = (op.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)?.content?.[
      "application/json"
    ]?.schema;
    return {
      method: method.toUpperCase(),
      path,
      params: (op.parameters as { name: string; in: string }[] | undefined) ?? [],
      bodyProps: Object.keys(resolve(body)?.properties ?? {}),
      hasBody: body !== undefined,
    };
  }),
);

/** Values that are wrong for most fields: wrong types, empty, huge, odd strings, odd dates. */
const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    "",
    " ",
    "null",
    "-1",
    "1e999",
    "2026-11-31T12:00:00Z",
    "10000-01-01T00:00:00Z",
    "../../etc/passwd",
    "%00",
    "<script>",
    "DROP TABLE",
    "x".repeat(5000),
    "http://169.254.169.254/latest/meta-data/",
    "🙂",
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
);

const credential = fc.constantFrom("none", "owner", "viewer", "admin", "garbage");

function inputFor(op: Operation) {
  const pathParams = op.params.filter((p) => p.in === "path");
  const queryParams = op.params.filter((p) => p.in === "query");
  return fc.record({
    credential,
    path: fc.tuple(...pathParams.map(() => fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom("%2F", "..", "x")))),
    query: fc.dictionary(
      queryParams.length ? fc.constantFrom(...queryParams.map((p) => p.name)) : fc.constant("x"),
      fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom("-1", "0", "201", "1e309", "2020-13-45", "abc")),
      { maxKeys: 3 },
    ),
    body: fc.oneof(
      // The route's own fields, with wrong values.
      op.bodyProps.length
        ? fc.dictionary(fc.constantFrom(...op.bodyProps), oddValue, { maxKeys: op.bodyProps.length })
        : fc.constant({}),
      fc.jsonValue({ maxDepth: 4 }),
      fc.constant(undefined),
    ),
    raw: fc.oneof(
      fc.constant(undefined),
      fc.constantFrom("{", "[1,", '{"a":', "null", "\u0000", "[".repeat(100) + "]".repeat(100)),
    ),
    contentType: fc.constantFrom("application/json", "application/json", "text/plain", "", "application/xml"),
  });
}

describe("every route with generated bad input (property, connected)", () => {
  const tokens: Record<string, string | undefined> = {};

  beforeAll(async () => {
    await connectedEnv();
    process.env.STUDIO_RATE_LIMIT_PER_KEY = "0";
    const ws = await newWorkspace("Fuzz");
    await newAccount(ws.ownerKey, { platform: "facebook" });
    Object.assign(tokens, {
      none: undefined,
      owner: ws.ownerKey,
      viewer: await newKey(ws.ownerKey, "viewer"),
      admin: adminToken(),
      garbage: "sk_not_a_real_key_but_long_enough_0000",
    });
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.STUDIO_RATE_LIMIT_PER_KEY;
    else process.env.STUDIO_RATE_LIMIT_PER_KEY = saved;
  });

  it("covers the whole document", () => {
    expect(operations.length).toBeGreaterThan(15);
  });

  it.each(operations.map((o) => [`${o.method} ${o.path}`, o] as const))("%s", async (_, op) => {
    await fc.assert(
      fc.asyncProperty(inputFor(op), async (input) => {
        let path = op.path;
        op.params
          .filter((p) => p.in === "path")
          .forEach((p, i) => {
            path = path.replace(`{${p.name}}`, encodeURIComponent(String(input.path[i] ?? "")) || "x");
          });
        const qs = new URLSearchParams(input.query as Record<string, string>).toString();
        const headers: Record<string, string> = {};
        const token = tokens[input.credential];
        if (token) headers.authorization = `Bearer ${token}`;
        if (input.contentType) headers["content-type"] = input.contentType;
        const sendsBody = op.method !== "GET" && op.method !== "DELETE";
        const payload =
          sendsBody && (input.raw !== undefined || input.body !== undefined)
            ? (input.raw ?? JSON.stringify(input.body))
            : undefined;
        const res = await call(op.method, `${path}${qs ? `?${qs}` : ""}`, {
          headers,
          ...(payload !== undefined ? { rawBody: payload } : {}),
        });
        expect(res.status, `${op.method} ${path} → ${res.text.slice(0, 300)}`).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.body, res.text.slice(0, 300)).toMatchObject({
            error: { code: expect.any(String), message: expect.any(String) },
          });
          expect(Object.keys(res.body.error).sort()).toEqual(["code", "details", "message"]);
          expect(res.text).not.toMatch(/\n\s+at /); // never a stack
        }
      }),
      { numRuns: RUNS },
    );
  });
});
