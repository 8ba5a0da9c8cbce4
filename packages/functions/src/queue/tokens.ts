import { keepAccount } from "@studio/core/account/keeper";
import { queues } from "@studio/core/config/jobs";
import * as JobRun from "@studio/core/job-run/job-run";
import { TokenMessage } from "@studio/core/queue/messages";
import { sqsConsumer } from "./batch";

/**
 * The token keeper's queue: one account per message, reported as its run's part. A transient
 * platform failure throws: the record is reported failed and comes back after the visibility
 * timeout; on its last receive (then the DLQ) the part is reported failed, so the run finishes.
 */
export const handler = sqsConsumer("tokens", TokenMessage, async (message, record) => {
  try {
    const outcome = await keepAccount(message);
    await JobRun.completePart(message, message.accountId, { counts: { [outcome.replace(/ /g, "_")]: 1 } });
  } catch (err) {
    const receives = Number(record.attributes.ApproximateReceiveCount ?? 1);
    if (receives >= queues.tokens.maxReceiveCount) {
      const reason = err instanceof Error ? err.message : String(err);
      await JobRun.completePart(message, message.accountId, {
        counts: { failed: 1 },
        failures: [{ ref: message.accountId, reason }],
      }).catch(() => undefined);
    }
    throw err;
  }
});
