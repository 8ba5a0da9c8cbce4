import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { limiter } from "./limit";

describe("limiter", () => {
  it("never runs more than max at once, runs every call, in order of arrival", async () => {
    const limit = limiter(3);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limit(async () => {
          started.push(i);
          running++;
          peak = Math.max(peak, running);
          await sleep(i % 4);
          running--;
          return i * 2;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("frees the slot when a call throws", async () => {
    const limit = limiter(1);
    await expect(limit(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await limit(async () => "next")).toBe("next");
  });
});
