import autocannon from "autocannon";

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
