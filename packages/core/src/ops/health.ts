import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { env } from "../config/env";
import { queues } from "../config/jobs";
import { db } from "../db/service";
import { sqs } from "../queue/sqs";

export interface HealthReport {
  ok: boolean;
  checks: { table: boolean; queues: boolean };
}

/**
 * Asks the table (one GetItem on a key that never exists: cheap, needs only read access) and
 * every queue (GetQueueAttributes) whether they answer, within `timeoutMs`.
 *
 * @example
 * const { ok } = await checkHealth(); // 200 when ok, 503 otherwise
 */
export async function checkHealth(timeoutMs = 3_000): Promise<HealthReport> {
  const table = probe(async () => {
    await db().entities.workspace.get({ id: "__health__" }).go();
  }, timeoutMs);
  const queueChecks = probe(async () => {
    await Promise.all(
      Object.values(queues).map((q) =>
        sqs().send(new GetQueueAttributesCommand({ QueueUrl: env.queueUrl(q.name), AttributeNames: ["QueueArn"] })),
      ),
    );
  }, timeoutMs);
  const [t, q] = await Promise.all([table, queueChecks]);
  return { ok: t && q, checks: { table: t, queues: q } };
}

async function probe(check: () => Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([check().then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
