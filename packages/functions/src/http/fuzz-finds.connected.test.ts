import { connectedEnv } from "@studio/local/testing/connected";
import { beforeAll, describe, expect, it } from "vitest";
import { adminToken, call, newWorkspace } from "./testing/client";

/**
 * Fixed cases of what the bad-input property (bad-input.connected.test.ts) found: each was a
 * 500 before its fix. The property draws at random; these replay the finds on every run.
 */
describe("the bad-input property's finds, replayed (connected)", () => {
  let owner: string;

  beforeAll(async () => {
    await connectedEnv();
    owner = (await newWorkspace("Finds")).ownerKey;
  });

  const expect400 = (res: Awaited<ReturnType<typeof call>>, path: string) => {
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatchObject({ code: "validation_failed", details: [{ path }] });
  };

  // Counterexample: PATCH /v1/workspace {"llmMonthlyBudgetUsd":5e-324} → 500 (seed 667236579).
  // DynamoDB stores no number of magnitude under 1e-130 ("Number underflow").
  describe("numbers DynamoDB cannot store", () => {
    it("a budget too small to store is a 400 on llmMonthlyBudgetUsd; the smallest storable one is kept", async () => {
      for (const tiny of [5e-324, 1e-200, 9e-131]) {
        expect400(
          await call("PATCH", "/v1/workspace", { token: owner, body: { llmMonthlyBudgetUsd: tiny } }),
          "llmMonthlyBudgetUsd",
        );
      }
      const ok = await call("PATCH", "/v1/workspace", { token: owner, body: { llmMonthlyBudgetUsd: 1e-130 } });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body.llmMonthlyBudgetUsd).toBe(1e-130);
    });

    it("a tiny number anywhere in a free-form map is a 400 naming it, on create and on update", async () => {
      expect400(
        await call("PATCH", "/v1/workspace", { token: owner, body: { preferences: { a: [{ b: 1e-200 }] } } }),
        "preferences.a.0.b",
      );
      expect400(
        await call("PATCH", "/v1/workspace", { token: owner, body: { brandProfile: { weight: -5e-324 } } }),
        "brandProfile.weight",
      );
      expect400(
        await call("POST", "/v1/workspaces", {
          token: adminToken(),
          body: { name: "Tiny", timezone: "UTC", brandProfile: { x: 1e-131 } },
        }),
        "brandProfile.x",
      );
      const ok = await call("PATCH", "/v1/workspace", {
        token: owner,
        body: { brandProfile: { small: 1e-130, zero: 0, negative: -0.5 } },
      });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body.brandProfile).toEqual({ small: 1e-130, zero: 0, negative: -0.5 });
    });
  });
});
