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

interface Armed {
  point: CrashPoint;
  /** Only posts with this caption (so concurrent tests do not take each other's crashes). */
  caption?: string;
  left: number;
}
let armed: Armed[] = [];

/** Makes the next `times` passes through `point` crash (tests), for one caption or any post. */
export function armCrash(point: CrashPoint, opts: { caption?: string; times?: number } = {}) {
  armed.push({ point, caption: opts.caption, left: opts.times ?? 1 });
}

export function disarmCrashes() {
  armed = [];
}

export function crashPoint(point: CrashPoint, post?: { caption: string }) {
  const hit = armed.find((a) => a.point === point && a.left > 0 && (!a.caption || a.caption === post?.caption));
  if (hit) {
    hit.left--;
    throw new InjectedCrash(point);
  }
  const rate = Number(process.env.STUDIO_CHAOS_CRASH_RATE ?? 0);
  if (rate > 0 && Math.random() < rate) throw new InjectedCrash(point);
}
