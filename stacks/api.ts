import { api as apiSpec } from "@studio/core/config/jobs";
import { Api as HttpApi, type StackContext, use } from "sst/constructs";
import { Queues } from "./queues";
import { Storage } from "./storage";

/**
 * The HTTP API: one Hono Lambda behind API Gateway's `$default` route; Hono does the routing.
 * It gets the shared runtime settings, the admin token, and the dead-letter operations
 * (`/v1/ops/dlq/...`).
 */
export function Api({ stack }: StackContext) {
  const { adminToken } = use(Storage);
  const { runtime, dlqOps } = use(Queues);
  const http = new HttpApi(stack, "Api", {
    // Stage-level throttling (docs/rate-limits.md); per key and per workspace: in the app.
    defaults: { throttle: { rate: apiSpec.throttle.rate, burst: apiSpec.throttle.burst } },
    routes: {
      $default: {
        function: {
          ...runtime,
          bind: [...runtime.bind, adminToken],
          permissions: [...runtime.permissions, dlqOps],
          handler: apiSpec.handler,
          timeout: apiSpec.timeoutSeconds,
        },
      },
    },
  });
  stack.addOutputs({ ApiUrl: http.url });
  return { api: http };
}
