import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type QueueKind, type QueueSpec, queues, resourceName } from "@studio/core/config/jobs";
import { table, tableName } from "@studio/core/db/table";

/** The table exactly as stacks/storage.ts declares it: keys, GSIs, TTL. Idempotent. */
export async function provisionTable(endpoint: string, stage: string): Promise<string> {
  const client = new DynamoDBClient({ endpoint });
  const name = tableName(stage);
  const attrs = new Set<string>([table.partitionKey, table.sortKey]);
  for (const idx of Object.values(table.indexes)) {
    attrs.add(idx.partitionKey);
    attrs.add(idx.sortKey);
  }
  const input: CreateTableCommandInput = {
    TableName: name,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [...attrs].map((a) => ({ AttributeName: a, AttributeType: "S" })),
    KeySchema: [
      { AttributeName: table.partitionKey, KeyType: "HASH" },
      { AttributeName: table.sortKey, KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: Object.entries(table.indexes).map(([indexName, idx]) => ({
      IndexName: indexName,
      KeySchema: [
        { AttributeName: idx.partitionKey, KeyType: "HASH" },
        { AttributeName: idx.sortKey, KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    })),
  };
  try {
    await client.send(new CreateTableCommand(input));
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
    await addMissingIndexes(client, input);
  }
  await client.send(new DescribeTableCommand({ TableName: name }));
  client.destroy();
  return name;
}

/**
 * A table kept on disk from an older version (`--data`) gets the GSIs added since, one per
 * UpdateTable as DynamoDB allows; DynamoDB indexes the existing items itself.
 */
async function addMissingIndexes(client: DynamoDBClient, input: CreateTableCommandInput) {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: input.TableName }));
  const have = new Set((Table?.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName));
  for (const gsi of input.GlobalSecondaryIndexes ?? []) {
    if (have.has(gsi.IndexName)) continue;
    const keys = new Set(gsi.KeySchema?.map((k) => k.AttributeName));
    await client.send(
      new UpdateTableCommand({
        TableName: input.TableName,
        AttributeDefinitions: input.AttributeDefinitions?.filter((a) => keys.has(a.AttributeName)),
        GlobalSecondaryIndexUpdates: [
          { Create: { IndexName: gsi.IndexName, KeySchema: gsi.KeySchema, Projection: gsi.Projection } },
        ],
      }),
    );
  }
}

/** A queue and its DLQ as provisioned: URLs and ARNs. */
export interface QueueResources {
  url: string;
  arn: string;
  dlqUrl: string;
  dlqArn: string;
}

export interface ProvisionedQueue extends QueueResources {
  kind: QueueKind;
}

/** What provisioning needs to know of a queue: jobs.ts's `QueueSpec`, or a test queue's. */
export type ProvisionSpec = Pick<QueueSpec, "visibilityTimeoutSeconds" | "maxReceiveCount" | "dlqRetentionDays"> & {
  name: string;
};

/**
 * Every queue of config/jobs.ts with its DLQ, redrive policy (maxReceiveCount), visibility
 * timeout and DLQ retention, as stacks/queues.ts declares them. Idempotent.
 */
export async function provisionQueues(endpoint: string, stage: string): Promise<Record<QueueKind, ProvisionedQueue>> {
  const client = new SQSClient({ endpoint });
  const out = {} as Record<QueueKind, ProvisionedQueue>;
  for (const spec of Object.values(queues)) {
    out[spec.name] = { kind: spec.name, ...(await provisionQueue(client, stage, spec)) };
  }
  client.destroy();
  return out;
}

/**
 * One queue named `${stage}-studio-${spec.name}` and its DLQ `…-dlq`, configured like the
 * production queues (tests use it for queues with short visibility timeouts). Idempotent.
 *
 * @example
 * const q = await provisionQueue(client, stage, { name: "flaky", visibilityTimeoutSeconds: 1, maxReceiveCount: 3, dlqRetentionDays: 1 });
 */
export async function provisionQueue(client: SQSClient, stage: string, spec: ProvisionSpec): Promise<QueueResources> {
  const dlq = await client.send(
    new CreateQueueCommand({
      QueueName: resourceName(stage, `${spec.name}-dlq`),
      Attributes: { MessageRetentionPeriod: String(spec.dlqRetentionDays * 86_400) },
    }),
  );
  const dlqUrl = dlq.QueueUrl as string;
  const dlqArn = await arnOf(client, dlqUrl);
  const q = await client.send(
    new CreateQueueCommand({
      QueueName: resourceName(stage, spec.name),
      Attributes: {
        VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(4 * 86_400),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: spec.maxReceiveCount }),
      },
    }),
  );
  const url = q.QueueUrl as string;
  return { url, arn: await arnOf(client, url), dlqUrl, dlqArn };
}

async function arnOf(client: SQSClient, url: string): Promise<string> {
  const res = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  return res.Attributes?.QueueArn as string;
}
