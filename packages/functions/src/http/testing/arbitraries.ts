import fc from "fast-check";

/**
 * fast-check arbitraries for the API's property tests, derived from the OpenAPI document: values
 * shaped like a field's schema but at and past its edges (so a request gets past validation of
 * its other fields and reaches core), real resource ids (so a route gets past its 404), and odd
 * values of every kind.
 */

export interface JsonSchema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  format?: string;
  description?: string;
  example?: unknown;
  nullable?: boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
}

const DAY = 86_400_000;

/** Strings that break naive code: blank, control, unicode (astral, combining, RTL), huge. */
export const oddString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ maxLength: 40, unit: "binary" }),
  fc.constantFrom(
    "",
    " ",
    "\t\n",
    "null",
    "undefined",
    "-1",
    "1e999",
    "NaN",
    "0x10",
    "99999999999999999999999",
    "2026-11-31T12:00:00Z",
    "10000-01-01T00:00:00Z",
    "../../etc/passwd",
    "%00",
    "\u0000",
    "\ud800",
    "<script>",
    "DROP TABLE",
    "$studio#x",
    "__proto__",
    "constructor",
    "x".repeat(5000),
    "🙂".repeat(300),
    "e\u0301".repeat(100),
    "\u202eabc",
    "http://169.254.169.254/latest/meta-data/",
  ),
);

/** Values that are wrong for most fields: wrong types, empty, huge, odd strings, odd dates. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  oddString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constantFrom(null, [], {}, -0, Number.MAX_SAFE_INTEGER + 2, 1e308),
);

const instantNearNow = fc
  .integer({ min: -3 * DAY, max: 120 * DAY })
  .map((ms) => new Date(Math.floor((Date.now() + ms) / 1000) * 1000).toISOString());
const instant = fc.oneof(
  { weight: 4, arbitrary: instantNearNow },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "1970-01-01T00:00:00Z",
      "9999-12-31T23:59:59.999Z",
      "2026-12-01T09:30:00.000+14:00",
      "2026-12-01T09:30:00.000-12:00",
      "2026-12-01T09:30:00",
      "2026-12-01",
      "2026-02-29T00:00:00Z",
      "2028-02-29T00:00:00Z",
      "2026-03-29T02:30:00+01:00",
      "+002026-12-01T00:00:00Z",
    ),
  },
);
const calendarDate = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.integer({ min: -3, max: 120 }).map((d) => new Date(Date.now() + d * DAY).toISOString().slice(0, 10)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom("1970-01-01", "9999-12-31", "2026-02-29", "2028-02-29", "2026-13-01", "2026-1-1"),
  },
);
const url = fc.constantFrom(
  "https://cdn.example.com/a.jpg",
  "https://cdn.example.com/a.mp4",
  "http://127.0.0.1:1/x.jpg",
  "https://[::1]/a.jpg",
  "https://xn--nxasmq6b.example/%F0%9F%99%82.jpg",
  "https://user:pass@cdn.example.com/a.jpg",
  "ftp://cdn.example.com/a.jpg",
  "data:image/png;base64,AAAA",
  `https://cdn.example.com/${"a".repeat(2100)}.jpg`,
);

/**
 * A value shaped like `schema`, mostly valid, often at or just past an edge (length, range,
 * count), sometimes odd. `idFor(name)` gives real ids for a field or parameter named `name`.
 */
export function shaped(
  schema: JsonSchema | undefined,
  resolve: (s: JsonSchema | undefined) => JsonSchema | undefined,
  idFor: (name: string) => fc.Arbitrary<string> | undefined,
  name = "",
  depth = 0,
): fc.Arbitrary<unknown> {
  const s = resolve(schema) ?? {};
  const ids = /id$/i.test(name) ? idFor(name) : undefined;
  const base = ((): fc.Arbitrary<unknown> => {
    if (ids) return ids;
    if (s.enum?.length) return fc.constantFrom(...s.enum);
    switch (s.type) {
      case "string": {
        if (s.format === "date-time") return instant;
        if (
          s.format === "date" ||
          /YYYY-MM-DD/.test(s.description ?? "") ||
          /^\d{4}-\d\d-\d\d$/.test(String(s.example))
        )
          return calendarDate;
        if (s.format === "uri") return url;
        if (typeof s.example === "string" && s.example.includes("/")) {
          return fc.constantFrom(
            s.example,
            "UTC",
            "Etc/GMT+12",
            "Pacific/Kiritimati",
            "America/St_Johns",
            "Mars/Olympus",
          );
        }
        const max = s.maxLength ?? 300;
        const min = s.minLength ?? 0;
        return fc.oneof(
          { weight: 3, arbitrary: fc.string({ minLength: min, maxLength: Math.min(max, 40), unit: "binary" }) },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              "x".repeat(max),
              "x".repeat(max + 1),
              "🙂".repeat(Math.ceil(max / 2)),
              "🙂".repeat(max),
              " ".repeat(Math.max(min, 1)),
            ),
          },
        );
      }
      case "integer":
      case "number": {
        const min = s.minimum ?? -1000;
        const max = s.maximum ?? 1_000_000;
        const edges = [min, max, min - 1, max + 1, 0, -1, 2 ** 31, Number.MAX_SAFE_INTEGER + 2];
        return fc.oneof(
          {
            weight: 3,
            arbitrary: s.type === "integer" ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true }),
          },
          { weight: 1, arbitrary: fc.constantFrom(...edges, min + 0.5) },
        );
      }
      case "boolean":
        return fc.boolean();
      case "array": {
        const maxItems = s.maxItems ?? 5;
        return fc.array(shaped(s.items, resolve, idFor, name, depth + 1), {
          minLength: 0,
          maxLength: Math.min(maxItems + 1, 6),
        });
      }
      case "object": {
        if (!s.properties || depth > 3) return fc.oneof(fc.constant({}), fc.jsonValue({ maxDepth: 3 }));
        const required = new Set(s.required ?? []);
        const entries = Object.entries(s.properties).map(([k, p]) => {
          const value = fc.oneof(
            { weight: 6, arbitrary: shaped(p, resolve, idFor, k, depth + 1) },
            { weight: 1, arbitrary: oddValue },
          );
          // Required fields are there most of the time; optional ones half of the time.
          const keep = required.has(k) ? fc.nat(9).map((n) => n > 0) : fc.boolean();
          return fc.tuple(fc.constant(k), value, keep);
        });
        return fc
          .tuple(...entries)
          .map((kv) => Object.fromEntries(kv.filter(([, , keep]) => keep).map(([k, v]) => [k, v])));
      }
      default:
        return oddValue;
    }
  })();
  return s.nullable ? fc.oneof(fc.constant(null), base) : base;
}

/** A query or header value as a client would send it: the field's shape, as text, or odd. */
export const asText = (v: unknown) => (typeof v === "string" ? v : (JSON.stringify(v) ?? ""));

/** `Prefer` values (none asks a wait past 1 s: the generations of a test never settle). */
export const preferHeader = fc.constantFrom(
  "wait=0",
  "wait=1",
  "wait=-1",
  "wait=abc",
  "wait=",
  "respond-async, wait=0",
  "wait=0; wait=1",
  'wait="0"',
  "x".repeat(300),
  "wait=0\u00e9",
);

/** `Idempotency-Key` values a client may send (header values are bytes: latin-1 at most). */
export const idempotencyKeyHeader = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40, unit: "grapheme-ascii" }).filter((s) => !/[\r\n]/.test(s) && s.trim() === s),
  fc.constantFrom("k", "a b", "x".repeat(255), "x".repeat(256), "caf\u00e9", "\u00ff".repeat(10), "--", "k\t"),
);

/** A path segment: raw (sent as is: bad percent-encodings) or a value to encode. */
export const oddPathSegment = fc.oneof(
  fc.string({ maxLength: 30 }).map((v) => ({ encode: v })),
  fc.string({ maxLength: 30, unit: "binary" }).map((v) => ({ encode: v })),
  fc
    .constantFrom("x".repeat(129), "x".repeat(5000), "🙂".repeat(100), "..", ".", " ", "$studio#x", "__proto__")
    .map((v) => ({ encode: v })),
  fc.constantFrom("%ED%A0%80", "%FF", "%C0%AF", "%", "%2", "%2e%2e", "%2F", "%00", "a%20b").map((v) => ({ raw: v })),
);
