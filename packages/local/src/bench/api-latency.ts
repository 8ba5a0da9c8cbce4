import { type DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import autocannon from "autocannon";
import { percentiles } from "../chaos/report";

export interface ApiFigure {
  route: string;
  p50Ms: number;
  p99Ms: number;
  reqPerSec: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** p99 of this route ÷ p99 of the bare route. */
  p99VsBare?: number;
  reqPerSecVsBare?: number;
}

/** One autocannon run against a route. */
export async function measure(opts: {
  name: string;
  url: string;
  method?: "GET" | "POST";
  token?: string;
  body?: unknown;
  seconds: number;
  connections: number;
}): Promise<ApiFigure> {
  const result = await autocannon({
    url: opts.url,
    method: opts.method ?? "GET",
    connections: opts.connections,
    duration: opts.seconds,
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.body ? { "content-type": "application/json" } : {}),
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return {
    route: opts.name,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    reqPerSec: Math.round(result.requests.average),
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/**
 * The floor under the API's figures: the same GetItem a `GET /v1/posts/{id}` makes, sent
 * straight to DynamoDB Local by `concurrency` loops for `seconds`.
 */
export async function measureRawGet(
  client: DynamoDBDocumentClient,
  params: Record<string, unknown>,
  seconds: number,
  concurrency: number,
): Promise<ApiFigure> {
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        await client.send(new GetCommand(params as never));
        latencies.push(performance.now() - t);
      }
    }),
  );
  const p = percentiles(latencies);
  return {
    route: `DynamoDB Local GetItem, direct (${concurrency} in flight)`,
    p50Ms: Math.round(p.p50),
    p99Ms: Math.round(p.p99),
    reqPerSec: Math.round(latencies.length / seconds),
    requests: latencies.length,
    non2xx: 0,
    errors: 0,
  };
}
