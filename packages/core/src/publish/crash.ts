/**
 * Crash injection for tests and the chaos run: a named point in the publish flow where the
 * worker can be made to "die" — nothing after it runs, nothing is cleaned up, the message is
 * not acknowledged — exactly what a Lambda timeout or an OOM does. Inert unless armed, either
 * in process (`armCrash`) or by `STUDIO_CHAOS_CRASH_RATE` (probability per point, chaos run).
 */
export const CRASH_POINTS = [
  "after_claim",
  "after_container",
  "after_init",
  "before_final_call",
  "after_final_call",
  "before_complete",
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export class InjectedCrash extends Error {
  constructor(readonly point: CrashPoint) {
    super(`injected crash at ${point}`);
    this.name = "InjectedCrash";
  }
}

const armed = new Map<CrashPoint, number>();

/** Makes the next `times` passes through `point` crash (tests). */
export function armCrash(point: CrashPoint, times = 1) {
  armed.set(point, (armed.get(point) ?? 0) + times);
}

export function disarmCrashes() {
  armed.clear();
}

export function crashPoint(point: CrashPoint) {
  const left = armed.get(point) ?? 0;
  if (left > 0) {
    armed.set(point, left - 1);
    throw new InjectedCrash(point);
  }
  const rate = Number(process.env.STUDIO_CHAOS_CRASH_RATE ?? 0);
  if (rate > 0 && Math.random() < rate) throw new InjectedCrash(point);
}
