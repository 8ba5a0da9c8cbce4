import { table, tableName } from "@studio/core/db/table";
import { AttributeType, BillingMode, ProjectionType, Table } from "aws-cdk-lib/aws-dynamodb";
import { Config, type StackContext } from "sst/constructs";

/**
 * The one DynamoDB table (shape: packages/core/src/db/table.ts) and the secrets every function
 * may need. The table is retained when the stack is removed and has point-in-time recovery:
 * it holds every post, and losing a post is the one thing Studio must never do.
 *
 * Secrets are SST `Config.Secret`s (SSM SecureString, set with `sst secrets set`); bound
 * functions get `SST_Secret_value_<NAME>` and the right to read that parameter, and load the
 * value at cold start through `sst/node/config`.
 */
export function Storage({ stack, app }: StackContext) {
  const key = (name: string) => ({ name, type: AttributeType.STRING });
  const db = new Table(stack, "Table", {
    tableName: tableName(app.stage),
    partitionKey: key(table.partitionKey),
    sortKey: key(table.sortKey),
    billingMode: BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: table.ttlAttribute,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  for (const [indexName, index] of Object.entries(table.indexes)) {
    db.addGlobalSecondaryIndex({
      indexName,
      partitionKey: key(index.partitionKey),
      sortKey: key(index.sortKey),
      projectionType: ProjectionType.ALL,
    });
  }

  const encryptionKey = new Config.Secret(stack, "STUDIO_ENCRYPTION_KEY");
  const adminToken = new Config.Secret(stack, "STUDIO_ADMIN_TOKEN");
  /** The OpenAI API key: only the LLM module's client reads it (llm/client.ts). */
  const openaiApiKey = new Config.Secret(stack, "OPENAI_API_KEY");

  stack.addOutputs({ TableName: db.tableName });
  return { table: db, encryptionKey, adminToken, openaiApiKey };
}
