/**
 * Crash injection for tests: a named point in a generation's run where the worker "dies" —
 * nothing after it runs, the lease is not released, the heartbeat stops, the message is not
 * acknowledged — what a Lambda timeout or a lost instance does. Inert unless armed in process.
 */
export const GENERATION_CRASH_POINTS = ["after_claim", "after_checkpoint"] as const;
export type GenerationCrashPoint = (typeof GENERATION_CRASH_POINTS)[number];

export class GenerationCrash extends Error {
  constructor(readonly point: GenerationCrashPoint) {
    super(`injected crash at ${point}`);
    this.name = "GenerationCrash";
  }
}

let armed: Array<{ point: GenerationCrashPoint; id?: string; left: number }> = [];

/** Makes the next `times` passes through `point` crash, for one generation id or any. */
export function armGenerationCrash(point: GenerationCrashPoint, opts: { id?: string; times?: number } = {}) {
  armed.push({ point, id: opts.id, left: opts.times ?? 1 });
}

export function disarmGenerationCrashes() {
  armed = [];
}

export function generationCrashPoint(point: GenerationCrashPoint, id: string) {
  const hit = armed.find((a) => a.point === point && a.left > 0 && (!a.id || a.id === id));
  if (!hit) return;
  hit.left--;
  throw new GenerationCrash(point);
}
