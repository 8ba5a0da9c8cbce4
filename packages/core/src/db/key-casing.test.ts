import { beforeAll, describe, expect, it } from "vitest";

/**
 * Keys keep their case (issue 8): ElectroDB lowercases index keys by default, which merged
 * TikTok accounts `BrandAbC` and `brandabc` and let `POST_ID` resolve `post_id`. Every key of
 * every entity in the service, including the ones added later, says `casing: "none"`.
 */
describe("index keys keep their case", () => {
  let entities: Record<string, { schema: { indexes: Record<string, Record<string, { casing?: string }>> } }>;
  beforeAll(async () => {
    process.env.STUDIO_TABLE_NAME ??= "casing-test";
    process.env.AWS_REGION ??= "us-east-1";
    const { db } = await import("./service");
    entities = db().entities as never;
  });

  it("every pk and sk of every index of every entity has casing none", () => {
    const lowered: string[] = [];
    for (const [name, entity] of Object.entries(entities)) {
      for (const [index, keys] of Object.entries(entity.schema.indexes)) {
        for (const part of ["pk", "sk"] as const) {
          if (keys[part] && keys[part].casing !== "none") lowered.push(`${name}.${index}.${part}`);
        }
      }
    }
    expect(Object.keys(entities).length).toBeGreaterThan(10);
    expect(lowered).toEqual([]);
  });
});
