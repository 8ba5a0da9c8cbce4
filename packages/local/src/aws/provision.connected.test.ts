import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { table, tableName } from "@studio/core/db/table";
import { afterAll, describe, expect, inject, it } from "vitest";
import { provisionTable } from "./provision";

/**
 * A table kept on disk by an older version (`pnpm dev --data`) lacks the GSIs added since (the
 * sparse `published` index of the metrics refresh): provisioning adds them, and is idempotent.
 */
describe("provisionTable on an existing table (connected)", () => {
  const endpoint = inject("dynamoEndpoint");
  const client = new DynamoDBClient({ endpoint });
  afterAll(() => client.destroy());

  it("adds the GSIs the table lacks, once", async () => {
    const stage = `p${Math.random().toString(36).slice(2, 8)}`;
    const old = Object.entries(table.indexes).filter(([name]) => name !== "published");
    const attrs = new Set<string>([table.partitionKey, table.sortKey]);
    for (const [, idx] of old) {
      attrs.add(idx.partitionKey);
      attrs.add(idx.sortKey);
    }
    await client.send(
      new CreateTableCommand({
        TableName: tableName(stage),
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [...attrs].map((a) => ({ AttributeName: a, AttributeType: "S" })),
        KeySchema: [
          { AttributeName: table.partitionKey, KeyType: "HASH" },
          { AttributeName: table.sortKey, KeyType: "RANGE" },
        ],
        GlobalSecondaryIndexes: old.map(([IndexName, idx]) => ({
          IndexName,
          KeySchema: [
            { AttributeName: idx.partitionKey, KeyType: "HASH" },
            { AttributeName: idx.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        })),
      }),
    );
    await provisionTable(endpoint, stage);
    await provisionTable(endpoint, stage); // idempotent
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName(stage) }));
    const gsis = Table?.GlobalSecondaryIndexes ?? [];
    expect(gsis.map((g) => g.IndexName).sort()).toEqual(Object.keys(table.indexes).sort());
    expect(gsis.find((g) => g.IndexName === "published")?.KeySchema).toEqual([
      { AttributeName: "accountId", KeyType: "HASH" },
      { AttributeName: "publishedAt", KeyType: "RANGE" },
    ]);
  });
});
