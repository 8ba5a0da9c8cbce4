import { describe, expect, it } from "vitest";
import { cursor, decodeCursor } from "./cursor";

const b64 = (s: string) => Buffer.from(s).toString("base64url");

describe("decodeCursor", () => {
  it("decodes what ElectroDB issues: base64url JSON of a key of the table", () => {
    const key = { pk: "$studio#workspaceId_ws_1", sk: "$competitor_1#id_c_1" };
    expect(decodeCursor(b64(JSON.stringify(key)))).toEqual(key);
    const gsi = { gsi1pk: "a", gsi1sk: "b", pk: "c", sk: "d" };
    expect(decodeCursor(b64(JSON.stringify(gsi)))).toEqual(gsi);
    const published = { accountId: "acct_1", publishedAt: "2026-11-01T00:00:00.000Z", pk: "c", sk: "d" };
    expect(decodeCursor(b64(JSON.stringify(published)))).toEqual(published);
  });

  it.each([
    ["empty", ""],
    ["blank", " "],
    ["one letter", "x"],
    ["another alphabet", "%%%"],
    ["standard base64 with padding", `${b64('{"pk":"a","sk":"b"}')}==`],
    ["not JSON", b64("{")],
    ["JSON null", b64("null")],
    ["JSON array", b64("[]")],
    ["JSON string", b64('"s"')],
    ["JSON number", b64("1")],
    ["empty object", b64("{}")],
    ["one attribute", b64('{"pk":"a"}')],
    ["five attributes", b64('{"pk":"a","sk":"b","gsi1pk":"c","gsi1sk":"d","gsi2pk":"e"}')],
    ["numbers", b64('{"pk":1,"sk":2}')],
    ["nested", b64('{"pk":{"S":"a"},"sk":"b"}')],
    ["empty strings", b64('{"pk":"","sk":""}')],
    ["unknown attributes", b64('{"a":"b","c":"d"}')],
    ["prototype keys", b64('{"__proto__":"a","sk":"b"}')],
    ["too long", "A".repeat(3000)],
    ["a value over 1 KB", b64(JSON.stringify({ pk: "a", sk: "b".repeat(1025) }))],
  ])("refuses %s", (_, value) => {
    expect(decodeCursor(value)).toBeUndefined();
    expect(cursor().safeParse(value).success).toBe(false);
  });
});
