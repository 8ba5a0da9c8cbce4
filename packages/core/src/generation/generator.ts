import type { GenerationItem } from "./generation";

/** What a generator gets besides its generation. */
export interface RunContext {
  /** Epoch ms every LLM call of this run must end by (the consumer's remaining time). */
  deadline: number;
  /** Aborted when the run lost its lease (generation/heartbeat.ts): pass it to every LLM call. */
  signal?: AbortSignal;
  /** Stores output produced so far (before side effects); returns the updated generation. */
  checkpoint(output: unknown): Promise<GenerationItem>;
}

/**
 * A feature's background work. `run` returns the final output (the generation becomes `ready`)
 * or throws (mapped by llm/outcome.ts). It must be safe to run again after a crash or a
 * retryable failure: read `generation.output` (the checkpoint) before asking the model again,
 * and write side effects with deterministic ids (generation.childId).
 */
export interface Generator {
  run(generation: GenerationItem, ctx: RunContext): Promise<unknown>;
}
