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
  { weight: 6, arbitrary: instantNearNow },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "2026-12-01T09:30:00.000+14:00",
      "2026-12-01T09:30:00.000-12:00",
      "2028-02-29T00:00:00Z",
      "2026-03-29T02:30:00+01:00",
    ),
  },
);
const badInstant = fc.constantFrom(
  "1970-01-01T00:00:00Z",
  "9999-12-31T23:59:59.999Z",
  "2026-12-01T09:30:00",
  "2026-12-01",
  "2026-02-29T00:00:00Z",
  "+002026-12-01T00:00:00Z",
  "2026-12-01T24:00:00Z",
);
const calendarDate = fc
  .integer({ min: -3, max: 120 })
  .map((d) => new Date(Date.now() + d * DAY).toISOString().slice(0, 10));
const badCalendarDate = fc.constantFrom(
  "1970-01-01",
  "9999-12-31",
  "2026-02-29",
  "2026-13-01",
  "2026-1-1",
  "2026-12-01T00:00:00Z",
);
const url = fc.constantFrom(
  "https://cdn.example.com/a.jpg",
  "https://cdn.example.com/a.mp4",
  "https://cdn.example.com/%F0%9F%99%82.jpg?x=1#y",
  "https://xn--nxasmq6b.example/a.jpg",
);
const badUrl = fc.constantFrom(
  "http://127.0.0.1:1/x.jpg",
  "https://[::1]/a.jpg",
  "https://user:pass@cdn.example.com/a.jpg",
  "ftp://cdn.example.com/a.jpg",
  "data:image/png;base64,AAAA",
  "javascript:alert(1)",
  `https://cdn.example.com/${"a".repeat(2100)}.jpg`,
);

type Resolve = (s: JsonSchema | undefined) => JsonSchema | undefined;
type IdFor = (name: string) => fc.Arbitrary<string> | undefined;

/**
 * A value shaped like `schema`: valid (`spoil` false) — at its edges too (empty, the longest
 * string, astral and combining characters, the bounds of a range, real resource ids from
 * `idFor(name)` for fields named `…Id`) — or, with `spoil`, one that breaks the schema (past a
 * bound, another format, an odd value). In an object, at most one field is spoiled, so a
 * request gets past the validation of the others and reaches core.
 */
export function shaped(
  schema: JsonSchema | undefined,
  resolve: Resolve,
  idFor: IdFor,
  name = "",
  spoil = false,
  depth = 0,
): fc.Arbitrary<unknown> {
  const s = resolve(schema) ?? {};
  if (spoil) return fc.oneof({ weight: 2, arbitrary: broken(s) }, { weight: 1, arbitrary: oddValue });
  const ids = /id$/i.test(name) ? idFor(name) : undefined;
  const base = ((): fc.Arbitrary<unknown> => {
    if (ids) return ids;
    if (s.enum?.length) return fc.constantFrom(...s.enum);
    switch (s.type) {
      case "string": {
        if (s.format === "date-time") return instant;
        if (isDate(s)) return calendarDate;
        if (s.format === "uri") return url;
        if (isZone(s))
          return fc.constantFrom("UTC", "Europe/Paris", "Etc/GMT+12", "Pacific/Kiritimati", "America/St_Johns");
        const max = s.maxLength ?? 300;
        const min = s.minLength ?? 0;
        return fc.oneof(
          {
            weight: 6,
            arbitrary: fc.string({ minLength: Math.max(min, 1), maxLength: Math.min(max, 40), unit: "binary" }),
          },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              "x".repeat(max),
              "🙂".repeat(Math.floor(max / 2)),
              "e\u0301".repeat(Math.floor(max / 2)),
              "\u202e".repeat(Math.max(min, 1)),
              "a".repeat(Math.max(min, 1)),
            ),
          },
        );
      }
      case "integer":
      case "number": {
        const min = s.minimum ?? -1000;
        const max = s.maximum ?? 1_000_000;
        return fc.oneof(
          {
            weight: 6,
            arbitrary: s.type === "integer" ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true }),
          },
          { weight: 1, arbitrary: fc.constantFrom(min, max) },
        );
      }
      case "boolean":
        return fc.boolean();
      case "array": {
        const minItems = s.minItems ?? 0;
        const maxItems = Math.max(minItems, Math.min(s.maxItems ?? 3, 3));
        return fc.array(shaped(s.items, resolve, idFor, name, false, depth + 1), {
          minLength: minItems,
          maxLength: maxItems,
        });
      }
      case "object": {
        if (!s.properties || depth > 3) return fc.constant({});
        const props = Object.entries(s.properties);
        const required = new Set(s.required ?? []);
        // -1: every field valid; otherwise the index of the one field to spoil.
        return fc
          .integer({ min: -Math.max(2, props.length), max: props.length - 1 })
          .chain((bad) =>
            fc
              .tuple(
                ...props.map(([k, p], i) =>
                  fc.tuple(
                    fc.constant(k),
                    shaped(p, resolve, idFor, k, i === bad, depth + 1),
                    required.has(k) || i === bad ? fc.constant(true) : fc.boolean(),
                  ),
                ),
              )
              .map((kv) => Object.fromEntries(kv.filter(([, , keep]) => keep).map(([k, v]) => [k, v]))),
          );
      }
      default:
        return oddValue;
    }
  })();
  return s.nullable ? fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 4, arbitrary: base }) : base;
}

const isDate = (s: JsonSchema) =>
  s.format === "date" || /YYYY-MM-DD/.test(s.description ?? "") || /^\d{4}-\d\d-\d\d$/.test(String(s.example));
const isZone = (s: JsonSchema) => typeof s.example === "string" && /^[A-Z][a-z]+\/[A-Z]/.test(s.example);

/** A value that breaks `s` while keeping close to it (past a bound, another format). */
function broken(s: JsonSchema): fc.Arbitrary<unknown> {
  if (s.enum?.length) return fc.constantFrom(`${String(s.enum[0])}x`, String(s.enum[0]).toUpperCase(), "", " ");
  switch (s.type) {
    case "string": {
      if (s.format === "date-time") return badInstant;
      if (isDate(s)) return badCalendarDate;
      if (s.format === "uri") return badUrl;
      if (isZone(s)) return fc.constantFrom("Mars/Olympus", "utc", "+01:00", "Europe/Paris ");
      const max = s.maxLength ?? 300;
      const min = s.minLength ?? 0;
      return fc.constantFrom("x".repeat(max + 1), "🙂".repeat(max), ...(min > 0 ? ["", " ".repeat(min)] : []), 1, null);
    }
    case "integer":
    case "number": {
      const min = s.minimum ?? -1000;
      const max = s.maximum ?? 1_000_000;
      return fc.constantFrom(min - 1, max + 1, min + 0.5, 5e-324, -0, Number.MAX_SAFE_INTEGER + 2, `${min}`);
    }
    case "array":
      return fc.constantFrom(
        Array.from({ length: (s.maxItems ?? 20) + 1 }, () => ({})),
        [null],
        {},
        ...(s.minItems ? [[]] : []),
      );
    case "object":
      return fc.constantFrom([], "{}", null, { __proto__: { x: 1 } }, JSON.parse('{"__proto__":{"x":1}}'));
    default:
      return oddValue;
  }
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
