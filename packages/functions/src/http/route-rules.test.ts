import { describe, expect, it } from "vitest";
import { routeProblems } from "./route-rules";

describe("route rules", () => {
  const base = { method: "get", path: "/v1/x", operationId: "getX", security: [] };
  it("accepts a route with a 2xx, or with only a redirect, and a 4xx", () => {
    expect(routeProblems({ ...base, responses: { 200: {}, 404: {} } })).toEqual([]);
    expect(routeProblems({ ...base, responses: { 302: {}, 410: {} } })).toEqual([]);
  });
  it("names what a route lacks: an operationId, security, a 2xx/3xx and a 4xx answer", () => {
    const problems = routeProblems({ method: "get", path: "/v1/x", responses: { 500: {} } });
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toMatch(/operationId[\s\S]*security[\s\S]*2xx[\s\S]*4xx/);
  });
});
