import * as Content from "./content";
import { find, objectsIn, type RequestContext } from "./context";

/**
 * Builds a value for any JSON schema Studio sends (`response_format.json_schema.schema` or a
 * tool's `parameters`), so a new feature works without changing the offline model. Field names
 * choose the kind of content (caption, hook, hashtags, times …); ids and platforms are echoed
 * from the request's input (an array of proposals over the input's accounts, one variant per
 * target …); times fall inside the input's `window`; lengths respect the schema's bounds.
 */
// biome-ignore lint/suspicious/noExplicitAny: JSON schema is untyped by nature
type Schema = Record<string, any>;

/** Keys whose values are copied from the input rather than invented. */
const ECHO_KEYS = ["accountId", "platform", "postId", "sourcePostId", "competitorId", "handle", "variantId", "id"];

export function answerFor(root: Schema, ctx: RequestContext): unknown {
  const gen = new Generator(root, ctx);
  return gen.value(root, "", undefined, 0, 1);
}

class Generator {
  constructor(
    private readonly root: Schema,
    private readonly ctx: RequestContext,
  ) {}

  resolve(schema: Schema): Schema {
    let s = schema;
    for (let guard = 0; s && typeof s.$ref === "string" && guard < 20; guard++) {
      const ref: string = s.$ref;
      if (!ref.startsWith("#")) return {};
      let target: unknown = this.root;
      for (const part of ref.slice(1).split("/").filter(Boolean)) {
        target = (target as Record<string, unknown> | undefined)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
      }
      s = (target as Schema) ?? {};
    }
    return s ?? {};
  }

  value(schemaIn: Schema, key: string, echo: Record<string, unknown> | undefined, i: number, n: number): unknown {
    const schema = this.resolve(schemaIn);
    const options: Schema[] | undefined = schema.anyOf ?? schema.oneOf;
    if (options) {
      const nonNull = options.map((o) => this.resolve(o)).filter((o) => o.type !== "null");
      if (nonNull.length < options.length && /error|warning|note|reason|replaces/i.test(key)) return null;
      return this.value(nonNull[0] ?? {}, key, echo, i, n);
    }
    if (schema.const !== undefined) return schema.const;
    let type = schema.type;
    if (Array.isArray(type)) {
      const real = type.filter((t: string) => t !== "null");
      if (real.length < type.length && /error|warning|note|reason|replaces/i.test(key)) return null;
      type = real[0];
    }
    if (Array.isArray(schema.enum)) return this.enumValue(schema.enum, key, echo, i);
    if (type === "object" || schema.properties) return this.object(schema, echo, i, n);
    if (type === "array") return this.array(schema, key, i);
    if (type === "integer" || type === "number") return this.number(schema, key, i);
    if (type === "boolean") return true;
    return this.string(schema, key, echo, i, n);
  }

  object(schema: Schema, echoIn: Record<string, unknown> | undefined, i: number, n: number) {
    const props: Record<string, Schema> = schema.properties ?? {};
    const out: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(props)) out[k] = this.value(s, k, echoIn, i, n);
    return out;
  }

  array(schema: Schema, key: string, i: number): unknown[] {
    const items = this.resolve(schema.items ?? {});
    const min = schema.minItems ?? 0;
    const max = schema.maxItems ?? Number.POSITIVE_INFINITY;
    const clamp = (c: number) => Math.max(min, Math.min(max, c));
    if (items.type === "object" || items.properties) {
      const group = this.echoGroup(items);
      const hint = this.countHint();
      const count = clamp(hint ?? (group.length || 3));
      return Array.from({ length: count }, (_, j) => this.object(items, group[j % (group.length || 1)], j, count));
    }
    if (/hashtag|tag/i.test(key)) return Content.hashtags(this.ctx, clamp(4), i);
    const count = clamp(3);
    return Array.from({ length: count }, (_, j) => this.value(items, singular(key), undefined, i * 10 + j, count));
  }

  /** The input's objects this array's items mirror: the group sharing the most echo keys. */
  echoGroup(items: Schema): Array<Record<string, unknown>> {
    const keys = Object.keys(items.properties ?? {}).filter((k) => ECHO_KEYS.includes(k));
    if (!keys.length) return [];
    const groups = new Map<string, Array<Record<string, unknown>>>();
    const score = new Map<string, number>();
    for (const { key, obj } of objectsIn(this.ctx.input)) {
      const shared = keys.filter((k) => ["string", "number"].includes(typeof obj[k])).length;
      if (!shared) continue;
      groups.set(key, [...(groups.get(key) ?? []), obj]);
      score.set(key, Math.max(score.get(key) ?? 0, shared));
    }
    const best = [...groups.keys()].sort(
      (a, b) =>
        (score.get(b) ?? 0) - (score.get(a) ?? 0) || (groups.get(b)?.length ?? 0) - (groups.get(a)?.length ?? 0),
    )[0];
    return best ? (groups.get(best) ?? []) : [];
  }

  /** How many items the request asks for (`postsPerWeek`, `count` …), if it says. */
  countHint(): number | undefined {
    const v = find(this.ctx.input, /^(postsPerWeek|count|itemCount|numberOfPosts|howMany)$/i);
    return typeof v === "number" && v > 0 ? Math.floor(v) : undefined;
  }

  enumValue(values: unknown[], key: string, echo: Record<string, unknown> | undefined, i: number) {
    const echoed = echo?.[key];
    if (echoed !== undefined && values.includes(echoed)) return echoed;
    const platform = echo?.platform;
    if (/media|format|type/i.test(key)) {
      if (platform === "tiktok" && values.includes("video")) return "video";
      if (platform === "instagram" && values.includes("image") && i % 2 === 0) return "image";
      if (values.includes("video") && platform === "instagram") return "video";
    }
    return values[(this.ctx.seed + i) % values.length];
  }

  number(schema: Schema, key: string, i: number): number {
    const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0);
    const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : 100);
    const base = /score|percent/i.test(key) ? 70 + (i % 20) : /confidence|probab/i.test(key) ? 0.8 : i + 1;
    const v = Math.max(min, Math.min(max, base));
    return schema.type === "integer" ? Math.round(v) : v;
  }

  string(schema: Schema, key: string, echo: Record<string, unknown> | undefined, i: number, n: number): string {
    const echoed = echo?.[key];
    if (typeof echoed === "string" || typeof echoed === "number") return String(echoed);
    const ctx = this.ctx;
    const platform = typeof echo?.platform === "string" ? echo.platform : undefined;
    let s: string;
    if (schema.format === "date-time" || /(At|For|Time|When)$/.test(key) || /^(time|when)$/i.test(key)) {
      s = this.dateTime(i, n);
    } else if (schema.format === "date" || /(Date|On)$/.test(key)) {
      s = this.dateTime(i, n).slice(0, 10);
    } else if (/^(caption|text|body|message|content|post|copy)$/i.test(key)) {
      s = Content.caption(ctx, platform, i);
    } else if (/hook/i.test(key)) {
      s = Content.hook(ctx, i);
    } else if (/callToAction|cta/i.test(key)) {
      s = Content.callToAction(ctx, i);
    } else if (/title|topic|theme|pillar|idea|angle|name/i.test(key)) {
      s = Content.title(ctx, i);
    } else if (/hashtag|tag/i.test(key)) {
      s = Content.hashtags(ctx, 1, i)[0] ?? "#studio";
    } else if (/rationale|reason|why|explanation|summary|notes?|markdown|reply|answer|insight|description/i.test(key)) {
      s = Content.rationale(ctx, i);
    } else if (/id$/i.test(key)) {
      const known = find(ctx.input, new RegExp(`^${key}$`));
      s = typeof known === "string" ? known : `${key}_${i + 1}`;
    } else {
      s = Content.phrase(ctx, i);
    }
    if (schema.maxLength !== undefined && s.length > schema.maxLength) s = s.slice(0, schema.maxLength);
    if (schema.minLength !== undefined && s.length < schema.minLength) s = s.padEnd(schema.minLength, ".");
    return s;
  }

  /**
   * The i-th of n instants spread over the input's `window` ({ start, end }, ISO), on the hour,
   * strictly inside it; without a window, days from tomorrow at 09:00 UTC.
   */
  dateTime(i: number, n: number): string {
    const w = find(this.ctx.input, /^window$/i) as { start?: string; end?: string } | undefined;
    const start = Date.parse(w?.start ?? "");
    const end = Date.parse(w?.end ?? "");
    if (Number.isFinite(start) && Number.isFinite(end) && end > start) {
      const hour = 3_600_000;
      const at = start + ((i + 0.5) * (end - start)) / Math.max(1, n);
      const rounded = Math.ceil(at / hour) * hour;
      return new Date(rounded < end ? rounded : at).toISOString();
    }
    const d = new Date();
    d.setUTCHours(9, 0, 0, 0);
    return new Date(d.getTime() + (i + 1) * 86_400_000).toISOString();
  }
}

const singular = (key: string) => key.replace(/s$/, "");
