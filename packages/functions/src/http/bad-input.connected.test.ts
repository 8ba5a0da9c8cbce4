import { appendFileSync } from "node:fs";
import { connectedEnv } from "@studio/local/testing/connected";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { app } from "./app";
import { openApiDocument } from "./openapi";
import {
  asText,
  idempotencyKeyHeader,
  type JsonSchema,
  oddPathSegment,
  oddString,
  oddValue,
  preferHeader,
  shaped,
} from "./testing/arbitraries";
import { adminToken, call, newAccount, newKey, newWorkspace } from "./testing/client";

/**
 * Property: every operation of the OpenAPI document, driven with generated bad input (path
 * parameters, query, headers, body, content type, credentials), never answers 5xx, and every
 * error is `{ error: { code, message, details } }`. Inputs are mostly shaped by the operation's
 * own schemas with at most one field spoiled, real resource ids and the right credential, so
 * they reach core (testing/arbitraries.ts). Runs per operation are few (CI has 2 busy cores);
 * a failure prints fast-check's seed and the shrunk input to replay it; give each find a fixed
 * case in fuzz-finds.connected.test.ts. Deep runs, by hand:
 *   STUDIO_FUZZ_RUNS=150 STUDIO_FUZZ_STATS=/tmp/fuzz.txt pnpm vitest run --project connected <this file>
 */
const RUNS = Number(process.env.STUDIO_FUZZ_RUNS ?? 8);
/** A file to append `method path status code` to, one line per request: how deep the runs go. */
const STATS = process.env.STUDIO_FUZZ_STATS;
const METHODS = ["get", "post", "put", "patch", "delete"] as const;
const saved = process.env.STUDIO_RATE_LIMIT_PER_KEY;

type Operation = {
  method: string;
  path: string;
  params: { name: string; in: string; required?: boolean; schema?: JsonSchema }[];
  body: JsonSchema | undefined;
  bodyProps: string[];
};

const doc = openApiDocument(app);
const resolve = (s: JsonSchema | undefined): JsonSchema | undefined => {
  if (!s?.$ref) return s;
  return ((doc.components?.schemas ?? {}) as Record<string, JsonSchema>)[s.$ref.split("/").pop() as string];
};
/** Operations that end resources (delete, cancel, revoke, rotate) run last: the others need them alive. */
const ends = (o: Operation) => (o.method === "DELETE" || /\/(cancel|revoke|rotate)$/.test(o.path) ? 1 : 0);
const operations: Operation[] = Object.entries(doc.paths ?? {})
  .flatMap(([path, item]) =>
    METHODS.filter((m) => (item as Record<string, unknown>)[m]).map((method) => {
      const op = (item as Record<string, Record<string, unknown>>)[method] as Record<string, unknown>;
      const body = (op.requestBody as { content?: Record<string, { schema?: JsonSchema }> } | undefined)?.content?.[
        "application/json"
      ]?.schema;
      return {
        method: method.toUpperCase(),
        path,
        params: (op.parameters as Operation["params"] | undefined) ?? [],
        body,
        bodyProps: Object.keys(resolve(body)?.properties ?? {}),
      };
    }),
  )
  .sort((a, b) => ends(a) - ends(b));

const credential = fc.constantFrom("none", "owner", "viewer", "admin", "garbage");

/** Real resources, by the collection a path or field names (filled in beforeAll). */
const pools: Record<string, string[]> = {};
const poolFor = (name: string): string[] => {
  const n = name.toLowerCase();
  const key = Object.keys(pools).find((k) => n.includes(k));
  return key ? (pools[key] as string[]) : Object.values(pools).flat();
};
const idFor = (name: string) => {
  const ids = poolFor(name);
  return ids.length
    ? fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...ids) },
        { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
      )
    : undefined;
};
/** The collection a path parameter points into: `/v1/posts/{id}` → posts, `{workspaceId}` → workspace. */
const collectionOf = (path: string, param: string) =>
  param === "id" ? (path.split(`/{${param}}`)[0]?.split("/").pop() ?? "") : param;

/** Parameters as one object schema, so they are drawn like a body (at most one spoiled). */
const paramsSchema = (params: Operation["params"]): JsonSchema => ({
  type: "object",
  properties: Object.fromEntries(params.map((p) => [p.name, p.schema ?? { type: "string" }])),
  required: params.filter((p) => p.required).map((p) => p.name),
});

function inputFor(op: Operation) {
  const pathParams = op.params.filter((p) => p.in === "path");
  const queryParams = op.params.filter((p) => p.in === "query");
  const headerParams = op.params.filter((p) => p.in === "header").map((p) => p.name.toLowerCase());
  const rightCredential = op.path.startsWith("/v1/ops/") || op.path.startsWith("/v1/workspaces") ? "admin" : "owner";
  const queryValue = (p: Operation["params"][number]) =>
    fc.oneof(
      { weight: 5, arbitrary: shaped(p.schema, resolve, idFor, p.name).map(asText) },
      { weight: 1, arbitrary: oddString },
      {
        weight: 1,
        arbitrary: fc.constantFrom("-1", "0", "201", "1e309", "2020-13-45", "abc", " 5 ", "1.5", "Infinity"),
      },
    );
  return fc.record({
    credential: fc.oneof({ weight: 3, arbitrary: fc.constant(rightCredential) }, { weight: 1, arbitrary: credential }),
    path: fc.tuple(
      ...pathParams.map((p) =>
        fc.oneof(
          {
            weight: 3,
            arbitrary: shaped(p.schema, resolve, (n) => idFor(collectionOf(op.path, n)), p.name).map((v) => ({
              encode: asText(v),
            })),
          },
          { weight: 1, arbitrary: oddPathSegment },
        ),
      ),
    ),
    // Pairs, so a key may repeat (`?limit=1&limit=2`): the route's parameters shaped by their
    // schema (at most one spoiled), plus random pairs.
    query: fc
      .tuple(
        queryParams.length
          ? shaped(paramsSchema(queryParams), resolve, idFor).map((q) =>
              Object.entries(q as Record<string, unknown>).map(([k, v]) => [k, asText(v)] as [string, string]),
            )
          : fc.constant([] as [string, string][]),
        fc.oneof(
          { weight: 3, arbitrary: fc.constant([] as [string, string][]) },
          fc.array(
            queryParams.length
              ? fc.oneof(...queryParams.map((p) => fc.tuple(fc.constant(p.name), queryValue(p))))
              : fc.tuple(fc.constant("x"), oddString),
            { minLength: 1, maxLength: 2 },
          ),
        ),
      )
      .map(([shapedPairs, randomPairs]) => [...shapedPairs, ...randomPairs]),
    headers: fc.record(
      {
        ...(headerParams.includes("prefer") ? { prefer: preferHeader } : {}),
        ...(headerParams.includes("idempotency-key") ? { "idempotency-key": idempotencyKeyHeader } : {}),
      },
      { requiredKeys: [] },
    ),
    body: fc.oneof(
      // Shaped like the route's schema: edges and odd values in otherwise valid requests.
      { weight: 8, arbitrary: op.body ? shaped(op.body, resolve, idFor) : fc.constant({}) },
      // The route's own fields, with wrong values.
      op.bodyProps.length
        ? fc.dictionary(fc.constantFrom(...op.bodyProps), oddValue, { maxKeys: op.bodyProps.length })
        : fc.constant({}),
      fc.jsonValue({ maxDepth: 4 }),
      fc.constant(undefined),
    ),
    raw: fc.oneof(
      { weight: 10, arbitrary: fc.constant(undefined) },
      fc.constantFrom(
        "{",
        "[1,",
        '{"a":',
        "null",
        "\u0000",
        "[".repeat(100) + "]".repeat(100),
        '{"a":1,"a":2}',
        "\ufeff{}",
      ),
    ),
    contentType: fc.oneof(
      { weight: 12, arbitrary: fc.constant("application/json") },
      fc.constantFrom(
        "application/json; charset=utf-8",
        "text/plain",
        "",
        "application/xml",
        "application/merge-patch+json",
      ),
    ),
  });
}

describe("every route with generated bad input (property, connected)", () => {
  const tokens: Record<string, string | undefined> = {};

  beforeAll(async () => {
    await connectedEnv();
    process.env.STUDIO_RATE_LIMIT_PER_KEY = "0";
    const ws = await newWorkspace("Fuzz");
    const other = await newWorkspace("Other");
    const owner = ws.ownerKey;
    const ok = async (method: string, path: string, body: unknown, key = owner) => {
      const res = await call(method, path, { token: key, body });
      expect(res.status, `${method} ${path}: ${res.text}`).toBeLessThan(300);
      return res.body;
    };
    const [fb, ig, tt, otherAccount] = await Promise.all([
      newAccount(owner, { platform: "facebook" }),
      newAccount(owner, { platform: "instagram" }),
      newAccount(owner, { platform: "tiktok" }),
      newAccount(other.ownerKey, { platform: "facebook" }),
    ]);
    const image = [{ url: "https://cdn.example.com/a.jpg", type: "image" }];
    const video = [{ url: "https://cdn.example.com/a.mp4", type: "video" }];
    const posts = await Promise.all([
      ok("POST", "/v1/posts", { accountId: fb, caption: "text only", media: [] }),
      ok("POST", "/v1/posts", { accountId: ig, caption: "an image", media: image }),
      ok("POST", "/v1/posts", { accountId: tt, caption: "a video", media: video }),
      ok("POST", "/v1/posts", { accountId: ig, caption: "to schedule", media: image }),
      ok("POST", "/v1/posts", { accountId: otherAccount, caption: "theirs", media: [] }, other.ownerKey),
    ]);
    await ok("POST", `/v1/posts/${posts[3].id}/schedule`, {
      scheduledFor: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    });
    const day = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);
    const [c1, c2, c3, campaign, theirCampaign, plan, repurposing, ...keys] = await Promise.all([
      ok("POST", "/v1/competitors", { platform: "instagram", handle: "rival" }),
      ok("POST", "/v1/competitors", { platform: "tiktok", handle: "rival" }),
      ok("POST", "/v1/competitors", { platform: "facebook", handle: "rival" }, other.ownerKey),
      ok("POST", "/v1/campaigns", { name: "Launch", startsOn: day(2), endsOn: day(9) }),
      ok("POST", "/v1/campaigns", { name: "Theirs", startsOn: day(2), endsOn: day(9) }, other.ownerKey),
      ok("POST", "/v1/plans", { notes: "fuzz" }),
      ok("POST", "/v1/repurpose", { sourcePostId: posts[1].id, targets: [{ accountId: fb }] }),
      // Keys the fuzz may revoke or rotate (never the ones it calls with).
      ok("POST", "/v1/api-keys", { name: "spare", role: "editor" }),
      ok("POST", "/v1/api-keys", { name: "spare", role: "owner" }),
      ok("POST", "/v1/api-keys", { name: "theirs", role: "viewer" }, other.ownerKey),
    ]);
    Object.assign(pools, {
      workspace: [ws.workspaceId, other.workspaceId],
      account: [fb, ig, tt, otherAccount],
      post: posts.map((p) => p.id),
      competitor: [c1.id, c2.id, c3.id],
      campaign: [campaign.id, theirCampaign.id],
      plan: [plan.id],
      repurpose: [repurposing.id],
      "api-key": keys.map((k) => k.id),
    });
    Object.assign(tokens, {
      none: undefined,
      owner,
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
            const seg = input.path[i] as { raw?: string; encode?: string } | undefined;
            const text = seg?.raw ?? encodeURIComponent(seg?.encode ?? "");
            path = path.replace(`{${p.name}}`, text || "x");
          });
        const qs = new URLSearchParams(input.query as [string, string][]).toString();
        const headers: Record<string, string> = { ...(input.headers as Record<string, string>) };
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
        if (STATS) appendFileSync(STATS, `${op.method} ${op.path} ${res.status} ${res.body?.error?.code ?? "-"}\n`);
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
