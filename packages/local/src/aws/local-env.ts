import { randomBytes } from "node:crypto";
import type { QueueKind } from "@studio/core/config/jobs";
import type { ProvisionedQueue } from "./provision";

/**
 * Points the process's configuration (config/env.ts and the SDK clients) at the local
 * emulators, exactly as the stacks point a Lambda at its table and queues.
 */
export function applyLocalEnv(opts: {
  stage: string;
  dynamoEndpoint: string;
  sqsEndpoint: string;
  tableName: string;
  queues: Record<QueueKind, ProvisionedQueue>;
}) {
  process.env.STUDIO_STAGE = opts.stage;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = opts.dynamoEndpoint;
  process.env.AWS_ENDPOINT_URL_SQS = opts.sqsEndpoint;
  process.env.STUDIO_TABLE_NAME = opts.tableName;
  for (const q of Object.values(opts.queues)) {
    process.env[`STUDIO_QUEUE_URL_${q.kind.toUpperCase()}`] = q.url;
    process.env[`STUDIO_DLQ_URL_${q.kind.toUpperCase()}`] = q.dlqUrl;
  }
  // The simulators' media host lives on loopback: allow private addresses for user-supplied
  // URLs unless the caller chose (STUDIO_OUTBOUND_ALLOW_PRIVATE=0 runs with production's rule).
  process.env.STUDIO_OUTBOUND_ALLOW_PRIVATE ??= "1";
  // DynamoDB Local and fauxqs on a loaded machine are slow, not hung: the clients' 2 s connect
  // and 5 s request timeouts (core/aws/clients.ts) are AWS's; here 30 s and a minute (a
  // timed-out write that did apply comes back from the SDK's retry as a conditional failure).
  // The publish records' budgets still end their requests.
  process.env.STUDIO_AWS_CONNECT_TIMEOUT_MS ??= "30000";
  process.env.STUDIO_AWS_REQUEST_TIMEOUT_MS ??= "60000";
  process.env.STUDIO_ENCRYPTION_KEY ??= randomBytes(32).toString("base64");
  process.env.STUDIO_ADMIN_TOKEN ??= `adm_${randomBytes(18).toString("base64url")}`;
}
