import type { Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { handler } from "./lambda";

const event = (method: string, path: string, headers: Record<string, string> = {}): Parameters<typeof handler>[0] => ({
  version: "2.0",
  routeKey: "$default",
  rawPath: path,
  rawQueryString: "",
  headers: { host: "api.example.com", ...headers },
  body: null,
  isBase64Encoded: false,
  requestContext: {
    accountId: "123456789012",
    apiId: "api",
    domainName: "api.example.com",
    domainPrefix: "api",
    http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
    requestId: "r1",
    routeKey: "$default",
    stage: "$default",
    time: "24/Nov/2026:14:00:00 +0000",
    timeEpoch: 0,
    authentication: null,
    authorizer: {},
  } as never,
});

describe("lambda handler (API Gateway HTTP API → Hono)", () => {
  it("serves the OpenAPI document", async () => {
    const res = (await handler(event("GET", "/openapi.json"), {} as Context)) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).info.title).toBe("Studio API");
  });

  it("maps errors to the JSON error shape", async () => {
    const res = (await handler(event("GET", "/v1/workspace"), {} as Context)) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body)).toEqual({
      error: { code: "auth.unauthorized", message: expect.any(String), details: null },
    });
  });

  it("limits the body on the Lambda path too: 413 before authentication or parsing", async () => {
    const big = { ...event("POST", "/v1/workspaces", { "content-type": "application/json" }) };
    big.body = JSON.stringify({ name: "x", timezone: "UTC", brandProfile: { x: "x".repeat(1024 * 1024) } });
    const res = (await handler(big, {} as Context)) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe("request.too_large");
  });

  it("refuses a body that is not JSON by its content type (no silent defaults)", async () => {
    const plain = { ...event("POST", "/v1/ops/dlq/publish/replay", { "content-type": "text/plain" }) };
    plain.body = '{"dryRun":true}';
    const res = (await handler(plain, {} as Context)) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error).toMatchObject({ code: "validation_failed", details: [{ path: "body" }] });
  });
});
