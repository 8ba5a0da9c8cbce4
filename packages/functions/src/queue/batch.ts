import "../secrets";
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { recordMessageFailure } from "@studio/core/queue/failures";
import { withAbortSignal } from "@studio/core/util/abort-scope";
import { logger } from "@studio/core/util/logger";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { z } from "zod";

/** The longest a consumer spends recording why a record failed. */
const RECORD_FAILURE_MAX_MS = 1_000;

/**
 * A queue consumer in the shape every Studio queue uses: Powertools batch processing with
 * partial batch failures, each record's body validated with zod. A record whose body does not
 * parse is logged and acknowledged (retrying cannot fix it; it is evidence, not work). A record
 * whose handler throws is reported failed: SQS returns only it, after its visibility timeout
 * (which the handler may have shortened or lengthened to set the backoff).
 *
 * @example
 * export const handler = sqsConsumer("metrics", MetricsMessage, async (msg) => Metrics.refresh(msg));
 */
export function sqsConsumer<S extends z.ZodTypeAny>(
  queue: string,
  schema: S,
  handle: (message: z.infer<S>, record: SQSRecord, context: Context) => Promise<void>,
) {
  const recordHandler = (context: Context) => async (record: SQSRecord) => {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      body = undefined;
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      logger.error("dropping malformed message", { queue, messageId: record.messageId, issues: parsed.error.issues });
      return;
    }
    try {
      await handle(parsed.data, record, context);
    } catch (err) {
      // Kept by message id for operators peeking at the DLQ (first and last reason); best effort,
      // within what is left of the invocation (the table may be what failed).
      const left = context?.getRemainingTimeInMillis?.() ?? RECORD_FAILURE_MAX_MS;
      await withAbortSignal(AbortSignal.timeout(Math.max(1, Math.min(RECORD_FAILURE_MAX_MS, left - 50))), () =>
        recordMessageFailure(queue, record.messageId, err instanceof Error ? err.message : String(err)),
      );
      throw err;
    }
  };
  // One processor per invocation: a processor holds the batch's failures, and two batches in
  // one process (the local runtime, the benchmark) must not share them.
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, recordHandler(context), new BatchProcessor(EventType.SQS), {
      context,
      throwOnFullBatchFailure: false,
    });
}
