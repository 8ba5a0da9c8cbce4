import { randomBytes } from "node:crypto";
import type { QueueKind } from "@studio/core/config/jobs";
import { inject } from "vitest";
import { useLocalAwsCredentials } from "../aws/emulators";
import { applyLocalEnv } from "../aws/local-env";
import { type ProvisionedQueue, provisionQueues, provisionTable } from "../aws/provision";

export interface ConnectedEnv {
  stage: string;
  dynamoEndpoint: string;
  sqsEndpoint: string;
  tableName: string;
  queues: Record<QueueKind, ProvisionedQueue>;
}

/**
 * For connected tests: a fresh table and fresh queues (unique stage) on the suite's emulators,
 * with the process configured to use them, exactly as the local runtime configures itself.
 *
 * @example
 * let env: ConnectedEnv;
 * beforeAll(async () => { env = await connectedEnv(); });
 */
export async function connectedEnv(): Promise<ConnectedEnv> {
  useLocalAwsCredentials();
  const dynamoEndpoint = inject("dynamoEndpoint");
  const sqsEndpoint = inject("sqsEndpoint");
  const stage = `t${randomBytes(4).toString("hex")}`;
  const [tableName, queues] = await Promise.all([
    provisionTable(dynamoEndpoint, stage),
    provisionQueues(sqsEndpoint, stage),
  ]);
  const env = { stage, dynamoEndpoint, sqsEndpoint, tableName, queues };
  applyLocalEnv(env);
  return env;
}
