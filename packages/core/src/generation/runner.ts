import { GENERATION_MAX_RUNS } from "../config/llm";
import { exhausted, queueOutcome } from "../llm/outcome";
import type { GenerationMessage } from "../queue/messages";
import { logger } from "../util/logger";
import { GenerationCrash, generationCrashPoint } from "./crash";
import { claim, finish, type GenerationItem, release, checkpoint as saveCheckpoint } from "./generation";
import type { RunContext } from "./generator";
import { leaseTiming, startHeartbeat } from "./heartbeat";
import { generators } from "./registry";

export type DeliveryOutcome = { kind: "ack" } | { kind: "retry"; delaySeconds: number; reason: string };

/**
 * The `llm` queue's one core call: claim the generation, run its generator under a heartbeat
 * (lease and message renewed while it runs: generation/heartbeat.ts), end it `ready`, or map
 * the failure once: `fail` → `failed` with the code; `retry` → lease released, the message
 * comes back after the delay; the last run (GENERATION_MAX_RUNS) or the last receive turns a
 * retry into `failed`, so a generation never stays `generating` because its message ran out
 * of receives.
 *
 * Another delivery of the same message while a live run holds the lease is put back until the
 * lease ends (not acknowledged: if that run dies, this message resumes the work); a finished
 * generation's message is acknowledged. A run that loses its lease stops (its model call is
 * aborted) and writes nothing more: the run that took over owns the generation.
 *
 * @example
 * const outcome = await runGeneration(msg, { receiveCount: 1, maxReceiveCount: 6, deadline: Date.now() + 280_000 });
 */
export async function runGeneration(
  message: GenerationMessage,
  opts: {
    receiveCount: number;
    maxReceiveCount: number;
    deadline: number;
    /** Sets this message's visibility to N seconds (ChangeMessageVisibility): the heartbeat's second half. */
    extendMessage?: (seconds: number) => Promise<void>;
  },
): Promise<DeliveryOutcome> {
  const generator = generators[message.feature];
  if (!generator) {
    logger.error("no generator for this feature; message dropped", { feature: message.feature, id: message.id });
    return { kind: "ack" };
  }
  const timing = leaseTiming();
  const claimed = await claim(message.id, timing.leaseMs);
  if (!("claimed" in claimed)) {
    if (claimed.kind === "finished") return { kind: "ack" };
    const delaySeconds = Math.max(1, Math.ceil((Date.parse(claimed.leaseUntil) - Date.now()) / 1000) + 1);
    logger.info("generation is running elsewhere; message put back until its lease ends", {
      id: message.id,
      delaySeconds,
    });
    return { kind: "retry", delaySeconds, reason: "running elsewhere (lease held)" };
  }
  let g: GenerationItem = claimed.claimed;
  const heartbeat = startHeartbeat(g, timing, opts.extendMessage);
  const ctx: RunContext = {
    deadline: opts.deadline,
    signal: heartbeat.signal,
    checkpoint: async (output) => {
      g = await saveCheckpoint(g, output);
      generationCrashPoint("after_checkpoint", g.id);
      return g;
    },
  };
  try {
    generationCrashPoint("after_claim", g.id);
    const output = await generator.run(g, ctx);
    if (heartbeat.lost) throw heartbeat.lost;
    heartbeat.stop();
    await finish(g, "ready", { output });
    return { kind: "ack" };
  } catch (err) {
    heartbeat.stop();
    // A crash leaves everything as a dead worker would: lease held, message unacknowledged.
    if (err instanceof GenerationCrash) throw err;
    const log = { feature: message.feature, id: message.id, workspaceId: message.workspaceId, err };
    if (heartbeat.lost) {
      // Whatever the run threw after its lease went (an aborted call, a refused checkpoint): the
      // generation is someone else's now, or free for the next delivery. Write nothing.
      logger.warn("generation run stopped: lease lost", log);
      return { kind: "retry", delaySeconds: Math.ceil(timing.leaseMs / 1000), reason: heartbeat.lost.message };
    }
    const outcome = queueOutcome(err, opts.receiveCount);
    if (outcome.kind === "fail") {
      logger.warn("generation failed", { ...log, code: outcome.code });
      await finish(g, "failed", { lastError: { code: outcome.code, message: outcome.message } });
      return { kind: "ack" };
    }
    if (g.attempts >= GENERATION_MAX_RUNS || opts.receiveCount >= opts.maxReceiveCount) {
      logger.error("generation failed: retries used up", log);
      await finish(g, "failed", { lastError: exhausted(outcome) });
      return { kind: "ack" };
    }
    logger.warn("generation will be retried", { ...log, delaySeconds: outcome.delaySeconds });
    await release(g);
    return { kind: "retry", delaySeconds: outcome.delaySeconds, reason: outcome.reason };
  }
}
