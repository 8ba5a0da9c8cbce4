/**
 * Builds something (an AWS client) under other environment settings, then restores them:
 * aws/clients.ts reads its timeouts from the environment when a client is built.
 *
 * @example
 * const dynamo = withAwsEnv({ STUDIO_AWS_REQUEST_TIMEOUT_MS: "2000" }, () => createDynamo({ endpoint }));
 */
export function withAwsEnv<T>(vars: Record<string, string>, build: () => T): T {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return build();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
