import { exhausted, queueOutcome } from "../llm/outcome";
import type { GenerationMessage } from "../queue/messages";
import { logger } from "../util/logger";
import { claim, finish, type GenerationItem, release, checkpoint as saveCheckpoint } from "./generation";
import type { RunContext } from "./generator";
import { generators } from "./registry";

export type DeliveryOutcome = { kind: "ack" } | { kind: "retry"; delaySeconds: number; reason: string };

/**
 * The `llm` queue's one core call: claim the generation (a duplicate delivery while another
 * worker holds it, or a finished one, is acknowledged), run its generator, end it `ready`, or
 * map the failure once: `fail` → `failed` with the code; `retry` → lease released, the message
 * comes back after the delay; the last receive turns a retry into `failed`, so a generation
 * never stays `generating` because its message ran out of receives.
 *
 * @example
 * const outcome = await runGeneration(msg, { receiveCount: 1, maxReceiveCount: 4, deadline: Date.now() + 280_000 });
 */
export async function runGeneration(
  message: GenerationMessage,
  opts: { receiveCount: number; maxReceiveCount: number; deadline: number },
): Promise<DeliveryOutcome> {
  const generator = generators[message.feature];
  if (!generator) {
    logger.error("no generator for this feature; message dropped", { feature: message.feature, id: message.id });
    return { kind: "ack" };
  }
  let g = await claim(message.id, Math.max(1_000, opts.deadline - Date.now()) + 5_000);
  if (!g) return { kind: "ack" };
  const ctx: RunContext = {
    deadline: opts.deadline,
    checkpoint: async (output) => {
      g = await saveCheckpoint(g as GenerationItem, output);
      return g;
    },
  };
  try {
    const output = await generator.run(g, ctx);
    await finish(g, "ready", { output });
    return { kind: "ack" };
  } catch (err) {
    const outcome = queueOutcome(err, opts.receiveCount);
    const log = { feature: message.feature, id: message.id, workspaceId: message.workspaceId, err };
    if (outcome.kind === "fail") {
      logger.warn("generation failed", { ...log, code: outcome.code });
      await finish(g, "failed", { lastError: { code: outcome.code, message: outcome.message } });
      return { kind: "ack" };
    }
    if (opts.receiveCount >= opts.maxReceiveCount) {
      logger.error("generation failed: retries used up", log);
      await finish(g, "failed", { lastError: exhausted(outcome) });
      return { kind: "ack" };
    }
    logger.warn("generation will be retried", { ...log, delaySeconds: outcome.delaySeconds });
    await release(g);
    return { kind: "retry", delaySeconds: outcome.delaySeconds, reason: outcome.reason };
  }
}
