import { describe, expect, it } from "vitest";
import { backoffMs, RETRY_POLICY } from "./backoff";

describe("backoffMs", () => {
  it("grows exponentially with jitter between half and the full step", () => {
    expect(backoffMs(0, undefined, () => 0)).toBe(1_000);
    expect(backoffMs(0, undefined, () => 1)).toBe(2_000);
    expect(backoffMs(3, undefined, () => 0)).toBe(8_000);
    expect(backoffMs(3, undefined, () => 1)).toBe(16_000);
  });

  it("honours a longer Retry-After", () => {
    expect(backoffMs(0, 45_000, () => 0.5)).toBe(45_000);
  });

  it("never exceeds the cap, even when the platform asks for more", () => {
    expect(backoffMs(30, undefined, () => 1)).toBe(RETRY_POLICY.capMs);
    expect(backoffMs(0, 10 * 3600_000)).toBe(RETRY_POLICY.capMs);
  });
});
