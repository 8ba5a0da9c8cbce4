import { describe, expect, it } from "vitest";
import { jsonProblems } from "./json-map";
import { isStorableNumber } from "./number";

describe("isStorableNumber (DynamoDB's number range)", () => {
  it.each([0, -0, 1, -1, 0.1, 1e-130, -1e-130, 9.999999999999998e125, Number.MAX_SAFE_INTEGER])("keeps %s", (v) => {
    expect(isStorableNumber(v)).toBe(true);
  });
  it.each([5e-324, -5e-324, 1e-200, 9e-131, 1e126, -1e126, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY])(
    "refuses %s",
    (v) => {
      expect(isStorableNumber(v)).toBe(false);
    },
  );
  it("a free-form map names a number DynamoDB cannot store", () => {
    expect(jsonProblems({ a: { b: [1, 1e-200] } })).toEqual([{ path: ["a", "b", 1], message: expect.any(String) }]);
  });
});
