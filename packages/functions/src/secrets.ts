import { Config } from "sst/node/config";

/**
 * In AWS the encryption key, the admin token and the OpenAI API key are SST secrets (SSM, fetched at cold start by
 * `sst/node/config`); core reads plain environment variables. This bridges the two, once per
 * cold start, before any handler runs. Locally `SST_APP` is unset and the variables come from
 * the local runtime, so this does nothing.
 */
if (process.env.SST_APP) {
  const config = Config as unknown as Record<string, string | undefined>;
  for (const name of ["STUDIO_ENCRYPTION_KEY", "STUDIO_ADMIN_TOKEN", "OPENAI_API_KEY"]) {
    try {
      process.env[name] ??= config[name];
    } catch {
      // not bound to this function
    }
  }
}
