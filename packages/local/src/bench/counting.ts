import { AsyncLocalStorage } from "node:async_hooks";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * A DynamoDB document client that counts reads and writes with an SDK middleware, by command:
 * GetItem / Query / Scan (and each key of a BatchGet) are reads; PutItem / UpdateItem /
 * DeleteItem and each item of a TransactWrite / BatchWrite are writes. Each operation is also
 * attributed to the platform of the first post or account id found in its input (`other`
 * when none: the dispatcher's index queries, job runs). Calls made inside `uncounted(fn)` (the
 * benchmark's own polling) are not counted.
 *
 * @example
 * const counter = new DynamoCounter(); setDynamo(counter.client);
 * counter.tag(postId, "instagram");
 */
export class DynamoCounter {
  readonly client: DynamoDBDocumentClient;
  private readonly platformOf = new Map<string, string>();
  private readonly quiet = new AsyncLocalStorage<boolean>();
  counts = fresh();

  constructor() {
    this.client = DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 4 }), {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (!this.quiet.getStore())
          this.count(String(context.commandName ?? ""), args.input as Record<string, unknown>);
        return next(args);
      },
      { step: "initialize", name: "benchCountDynamo" },
    );
  }

  /** Attributes operations on this post or account id to `platform`. */
  tag(id: string, platform: string) {
    this.platformOf.set(id.toLowerCase(), platform);
  }

  uncounted<T>(fn: () => Promise<T>): Promise<T> {
    return this.quiet.run(true, fn);
  }

  reset() {
    this.counts = fresh();
  }

  private count(command: string, input: Record<string, unknown>) {
    const name = command.replace(/Command$/, "");
    let reads = 0;
    let writes = 0;
    switch (name) {
      case "Get":
      case "GetItem":
      case "Query":
      case "Scan":
        reads = 1;
        break;
      case "Put":
      case "PutItem":
      case "Update":
      case "UpdateItem":
      case "Delete":
      case "DeleteItem":
        writes = 1;
        break;
      case "TransactWrite":
      case "TransactWriteItems":
        writes = ((input.TransactItems as unknown[]) ?? []).length;
        break;
      case "BatchWrite":
      case "BatchWriteItem":
        for (const v of Object.values((input.RequestItems as Record<string, unknown[]>) ?? {})) writes += v.length;
        break;
      case "BatchGet":
      case "BatchGetItem":
        for (const v of Object.values((input.RequestItems as Record<string, { Keys?: unknown[] }>) ?? {}))
          reads += v.Keys?.length ?? 0;
        break;
      case "TransactGet":
      case "TransactGetItems":
        reads = ((input.TransactItems as unknown[]) ?? []).length;
        break;
      default:
        return;
    }
    const platform = this.attribute(input);
    const c = this.counts;
    c.byCommand[name] = (c.byCommand[name] ?? 0) + (reads || writes);
    const p = c.byPlatform[platform] ?? { reads: 0, writes: 0 };
    p.reads += reads;
    p.writes += writes;
    c.byPlatform[platform] = p;
    c.reads += reads;
    c.writes += writes;
  }

  private attribute(input: Record<string, unknown>): string {
    // ElectroDB lower-cases its keys: ids are matched case-insensitively.
    const text = JSON.stringify(input).toLowerCase();
    for (const m of text.matchAll(/(post_[a-z0-9_-]{10,}|acct_[a-z0-9_-]{10,})/g)) {
      const p = this.platformOf.get(m[1] as string);
      if (p) return p;
    }
    return "other";
  }
}

function fresh() {
  return {
    reads: 0,
    writes: 0,
    byCommand: {} as Record<string, number>,
    byPlatform: {} as Record<string, { reads: number; writes: number }>,
  };
}
