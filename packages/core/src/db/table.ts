/**
 * The physical shape of Studio's single DynamoDB table. Stacks and the local runtime create the
 * table from this description; ElectroDB entities map onto these attribute names.
 *
 * - `pk`/`sk`: the primary key of every item.
 * - `gsi1`, `gsi2`: overloaded collection indexes (by workspace, by account, by time …).
 * - `due`: sparse, sharded: a post is in it only while `scheduled` (see docs/data-model.md).
 * - `lease`: sparse, sharded: a post is in it only while `publishing`.
 * - `published`: sparse, keyed on the post's own attributes `accountId` / `publishedAt` (no
 *   derived key fields): a post is in it from the write that sets `publishedAt`, whoever makes
 *   it (publish, settle), with no change to those writes and no backfill (DynamoDB indexes the
 *   existing items when the GSI is created). Every top-level `accountId` / `publishedAt` of any
 *   entity must therefore stay a string (a key attribute of another type fails the write);
 *   items without `publishedAt` are simply not in it.
 * - `ttl`: epoch seconds; DynamoDB deletes expired items (tool-call logs, job runs, usage).
 */
export const table = {
  partitionKey: "pk",
  sortKey: "sk",
  ttlAttribute: "ttl",
  indexes: {
    gsi1: { partitionKey: "gsi1pk", sortKey: "gsi1sk" },
    gsi2: { partitionKey: "gsi2pk", sortKey: "gsi2sk" },
    due: { partitionKey: "duepk", sortKey: "duesk" },
    lease: { partitionKey: "leasepk", sortKey: "leasesk" },
    published: { partitionKey: "accountId", sortKey: "publishedAt" },
  },
} as const;

export type IndexName = keyof typeof table.indexes;

/** Number of shards of the due and lease indexes. Post ids hash onto them uniformly. */
export const SHARDS = 16;

export const tableName = (stage: string) => `${stage}-studio`;
