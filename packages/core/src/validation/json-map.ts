import { z } from "zod";
import { isStorableNumber, STORABLE_NUMBER_MESSAGE } from "./number";

/** Bounds on a free-form JSON object (a brand profile, preferences, any user-shaped map). */
export interface JsonLimits {
  /** Containers nested inside the map itself (the map is depth 1). */
  maxDepth: number;
  /** Keys per object. */
  maxKeys: number;
  /** Items per array. */
  maxItems: number;
  /** Characters per key. */
  maxKeyLength: number;
  /** Characters per string value. */
  maxStringLength: number;
  /** The whole map, as compact JSON, in UTF-8 bytes. */
  maxBytes: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = {
  maxDepth: 8,
  maxKeys: 100,
  maxItems: 200,
  maxKeyLength: 100,
  maxStringLength: 10_000,
  maxBytes: 32 * 1024,
};

/** Keys that mean something to JavaScript objects: never stored, never merged. */
const RESERVED_KEYS = new Set(["__proto__", "constructor", "prototype"]);
const MAX_ISSUES = 10;

type Problem = { path: (string | number)[]; message: string };

/**
 * Walks a parsed JSON value without recursion (so no input can overflow the stack) and names
 * the first problems: non-finite or imprecise numbers (DynamoDB keeps integers exactly only up
 * to 2^53 − 1 through the SDK) and numbers too small for DynamoDB (1e-200: see number.ts), empty or reserved keys, values that are not JSON, and every
 * bound in `limits`.
 */
export function jsonProblems(value: unknown, limits: JsonLimits = DEFAULT_JSON_LIMITS): Problem[] {
  const problems: Problem[] = [];
  const add = (path: (string | number)[], message: string) => {
    if (problems.length < MAX_ISSUES) problems.push({ path, message });
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [{ path: [], message: "Must be a JSON object." }];
  }
  const encoder = new TextEncoder();
  let bytes = 0;
  const stack: { value: unknown; path: (string | number)[]; depth: number }[] = [{ value, path: [], depth: 1 }];
  while (stack.length && problems.length < MAX_ISSUES) {
    const { value: v, path, depth } = stack.pop()!;
    if (v === null || typeof v === "boolean") {
      bytes += 5;
    } else if (typeof v === "number") {
      if (!Number.isFinite(v)) add(path, "Numbers must be finite.");
      else if (Math.abs(v) > Number.MAX_SAFE_INTEGER)
        add(path, `Numbers must be between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}.`);
      else if (!isStorableNumber(v)) add(path, `Numbers: ${STORABLE_NUMBER_MESSAGE.replace(/^Must/, "must")}`);
      bytes += 24;
    } else if (typeof v === "string") {
      if (v.length > limits.maxStringLength) add(path, `Strings must be at most ${limits.maxStringLength} characters.`);
      bytes += encoder.encode(v).length + 2;
    } else if (typeof v === "object") {
      if (depth > limits.maxDepth) {
        add(path, `Nested at most ${limits.maxDepth} levels deep.`);
        continue;
      }
      if (Array.isArray(v)) {
        if (v.length > limits.maxItems) add(path, `Lists hold at most ${limits.maxItems} items.`);
        for (let i = 0; i < Math.min(v.length, limits.maxItems); i++)
          stack.push({ value: v[i], path: [...path, i], depth: depth + 1 });
        bytes += 2 + v.length;
      } else {
        const keys = Object.keys(v);
        if (keys.length > limits.maxKeys) add(path, `Objects hold at most ${limits.maxKeys} keys.`);
        for (const key of keys.slice(0, limits.maxKeys)) {
          if (!key.trim()) add([...path, key], "Keys must not be empty.");
          else if (key.length > limits.maxKeyLength)
            add([...path, key.slice(0, 20)], `Keys must be at most ${limits.maxKeyLength} characters.`);
          else if (RESERVED_KEYS.has(key)) add([...path, key], `"${key}" is not allowed as a key.`);
          stack.push({ value: (v as Record<string, unknown>)[key], path: [...path, key], depth: depth + 1 });
          bytes += encoder.encode(key).length + 4;
        }
        bytes += 2;
      }
    } else {
      add(path, "Must be JSON (string, number, boolean, null, list or object).");
    }
    if (bytes > limits.maxBytes) {
      add([], `Must be at most ${Math.floor(limits.maxBytes / 1024)} KB as JSON.`);
      break;
    }
  }
  return problems;
}

/**
 * A free-form JSON object with limits (`DEFAULT_JSON_LIMITS` unless given): the schema for
 * every user-shaped map the API stores (`brandProfile`, preferences, metadata). `{"x":1e999}`,
 * `{"":1}`, a 30-digit number, deep nesting or a 1 MB string are 400s naming the field.
 *
 * @example
 * const CreateWorkspace = z.object({ name: z.string(), brandProfile: jsonMap().optional() });
 */
export const jsonMap = (overrides: Partial<JsonLimits> = {}) => {
  const limits = { ...DEFAULT_JSON_LIMITS, ...overrides };
  return z.custom<Record<string, unknown>>().superRefine((value, ctx) => {
    for (const p of jsonProblems(value, limits)) ctx.addIssue({ code: z.ZodIssueCode.custom, ...p });
  });
};
