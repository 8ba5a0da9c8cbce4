import { CreateQueueCommand, SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { db } from "@studio/core/db/service";
import { dispatch, MARK_CONCURRENCY } from "@studio/core/publish/dispatcher";
import { lookaheadMs } from "@studio/core/queue/publish-enqueue";
import { limiter } from "@studio/core/util/limit";
import { allShards } from "@studio/core/util/shard";

/** Same page size as the dispatcher. */
const PAGE = 200;

/**
 * The dispatcher against the same DynamoDB Query / UpdateItem and SQS SendMessageBatch calls
 * made directly, with the same shape: every shard in parallel; per page, the sends in batches
 * of 10 one after the other, then one conditional UpdateItem per post, at most MARK_CONCURRENCY
 * of them in flight over the whole run (as the dispatcher bounds them). The raw
 * loop sends the exact requests ElectroDB builds (`.params()`), prepared before the clock starts.
 */
export async function dispatcherVsRaw(opts: {
  due: number;
  dueAt: number;
  raw: DynamoDBDocumentClient;
  sqs: SQSClient;
}): Promise<{
  posts: number;
  dispatcher: { ms: number; postsPerSec: number; sent: number; pages: number };
  raw: { ms: number; postsPerSec: number; queries: number; sendBatches: number; updates: number };
  ratio: number;
}> {
  // The dispatcher, with its clock set a minute before the posts are due: it reads them all
  // and sends each with a 60 s delay.
  const shift = opts.dueAt - 60_000 - Date.now();
  const t0 = performance.now();
  const stats = await dispatch({ now: () => Date.now() + shift, budgetMs: 600_000 });
  const dispatcherMs = performance.now() - t0;

  // Raw: prepare the exact requests first (untimed).
  const horizon = `${new Date(opts.dueAt - 60_000 + lookaheadMs()).toISOString()}~`;
  const queryParams = allShards().map(
    (shard) =>
      db().entities.post.query.due({ dueShard: shard }).lte({ dueAt: horizon }).params({ limit: PAGE }) as Record<
        string,
        unknown
      >,
  );
  const versions = new Map<string, number>();
  for (const params of queryParams) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await opts.raw.send(new QueryCommand({ ...params, ExclusiveStartKey: start } as never));
      for (const item of page.Items ?? []) versions.set(item.id as string, item.version as number);
      start = page.LastEvaluatedKey;
    } while (start);
  }
  const updates = new Map<string, Record<string, unknown>>();
  const at = new Date().toISOString();
  for (const [id, version] of versions) {
    updates.set(
      id,
      db()
        .entities.post.patch({ id })
        .set({ enqueuedVersion: version, enqueuedAt: at })
        .where((a, op) => op.eq(a.version, version))
        .params() as Record<string, unknown>,
    );
  }
  const { QueueUrl } = await opts.sqs.send(new CreateQueueCommand({ QueueName: `bench-raw-${Date.now()}` }));
  let queries = 0;
  let sendBatches = 0;
  let updateCount = 0;
  const limit = limiter(MARK_CONCURRENCY);
  const t1 = performance.now();
  await Promise.all(
    queryParams.map(async (params) => {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await opts.raw.send(new QueryCommand({ ...params, ExclusiveStartKey: start } as never));
        queries++;
        start = page.LastEvaluatedKey;
        const items = page.Items ?? [];
        for (let i = 0; i < items.length; i += 10) {
          await opts.sqs.send(
            new SendMessageBatchCommand({
              QueueUrl,
              Entries: items.slice(i, i + 10).map((it, j) => ({
                Id: String(j),
                MessageBody: JSON.stringify({ kind: "publish", postId: it.id, version: it.version }),
                DelaySeconds: 60,
              })),
            }),
          );
          sendBatches++;
        }
        await Promise.all(
          items.map((it) =>
            limit(async () => {
              await opts.raw.send(new UpdateCommand(updates.get(it.id as string) as never));
              updateCount++;
            }),
          ),
        );
      } while (start);
    }),
  );
  const rawMs = performance.now() - t1;
  const dispatcher = {
    ms: Math.round(dispatcherMs),
    postsPerSec: Math.round(stats.sent / (dispatcherMs / 1000)),
    sent: stats.sent,
    pages: stats.pages,
  };
  const raw = {
    ms: Math.round(rawMs),
    postsPerSec: Math.round(updateCount / (rawMs / 1000)),
    queries,
    sendBatches,
    updates: updateCount,
  };
  return {
    posts: opts.due,
    dispatcher,
    raw,
    ratio: Math.round((dispatcher.postsPerSec / raw.postsPerSec) * 100) / 100,
  };
}
