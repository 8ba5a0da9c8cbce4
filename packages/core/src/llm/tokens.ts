import { countTokens as count } from "gpt-tokenizer/encoding/o200k_base";

/**
 * Token counts with the o200k_base encoding (GPT-4o, GPT-4.1, GPT-5): the same counter trims
 * the inputs here and reports usage in the offline model, so budgets are measured, not guessed.
 */
export const countTokens = (text: string): number => count(text);

/** The text cut to at most `maxTokens` tokens (at a word where possible), marked with "…". */
export function trimText(text: string, maxTokens: number): string {
  if (countTokens(text) <= maxTokens) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (countTokens(`${text.slice(0, mid)}…`) <= maxTokens) lo = mid;
    else hi = mid - 1;
  }
  const cut = text.slice(0, lo);
  const space = cut.lastIndexOf(" ");
  return `${space > lo * 0.8 ? cut.slice(0, space) : cut}…`;
}

export interface Trimmed<T> {
  value: T;
  tokens: number;
  /** Sections that were shortened, in the order they were touched. */
  trimmed: string[];
}

/**
 * Fits an input object into a token budget (measured on its JSON) by shortening its sections in
 * `trimOrder` (least important first): a list loses its last quarter, a text its last quarter,
 * an object its largest list or text, until the whole fits or nothing is left to cut. Sections
 * not named are never touched (the request itself, the accounts, the week).
 *
 * @example
 * const { value } = trimToBudget({ brand, metrics, competitors }, 2000, ["competitors", "metrics", "brand"]);
 */
export function trimToBudget<T extends Record<string, unknown>>(
  input: T,
  budget: number,
  trimOrder: string[],
): Trimmed<T> {
  const value = structuredClone(input) as Record<string, unknown>;
  const trimmed: string[] = [];
  let tokens = countTokens(JSON.stringify(value));
  for (const key of trimOrder) {
    while (tokens > budget && shrink(value, key)) {
      if (trimmed.at(-1) !== key) trimmed.push(key);
      tokens = countTokens(JSON.stringify(value));
    }
    if (tokens <= budget) break;
  }
  return { value: value as T, tokens, trimmed };
}

/** Shortens `holder[key]` one step; false when it cannot shrink further. */
function shrink(holder: Record<string, unknown>, key: string): boolean {
  const v = holder[key];
  if (Array.isArray(v)) {
    if (v.length === 0) return false;
    v.splice(Math.max(0, v.length - Math.ceil(v.length / 4)));
    return true;
  }
  if (typeof v === "string") {
    if (v.length <= 16) return false;
    holder[key] = `${v.slice(0, Math.floor(v.length * 0.75))}…`;
    return true;
  }
  if (v && typeof v === "object") {
    const obj = v as Record<string, unknown>;
    const largest = Object.keys(obj)
      .filter((k) => Array.isArray(obj[k]) || typeof obj[k] === "string" || (obj[k] && typeof obj[k] === "object"))
      .sort((a, b) => JSON.stringify(obj[b]).length - JSON.stringify(obj[a]).length);
    for (const k of largest) if (shrink(obj, k)) return true;
    return false;
  }
  return false;
}
