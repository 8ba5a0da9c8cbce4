/**
 * What the offline model knows about a request: the JSON input block Studio's prompts end with
 * (llm/prompt.ts `inputBlock`), plus a few facts read out of it (brand, platform, source text)
 * that make the generated content plausible. Nothing here is specific to one feature.
 */
export interface RequestContext {
  /** The parsed input block of the last user message that has one ({} if none). */
  input: Record<string, unknown>;
  /** The last user message's text. */
  userText: string;
  brandName: string;
  tone: string;
  topics: string[];
  audience: string;
  /** Text of a source post the request works from, if any (`caption` in the input). */
  sourceText: string | undefined;
  /** A seed from the request, so answers are deterministic per request. */
  seed: number;
}

interface ChatMessage {
  role: string;
  content?: unknown;
}

export function contextOf(messages: ChatMessage[]): RequestContext {
  const users = messages.filter((m) => m.role === "user");
  const text = (m: ChatMessage | undefined) =>
    typeof m?.content === "string"
      ? m.content
      : Array.isArray(m?.content)
        ? (m.content as Array<{ text?: string }>).map((p) => p.text ?? "").join("\n")
        : "";
  let input: Record<string, unknown> = {};
  for (const m of [...users].reverse()) {
    const block = /```json\s*([\s\S]*?)```/.exec(text(m));
    if (!block?.[1]) continue;
    try {
      input = JSON.parse(block[1]);
      break;
    } catch {
      // not JSON: keep looking
    }
  }
  const userText = text(users.at(-1));
  const brand = (find(input, /^brand(Profile)?$/i) ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim() : undefined);
  const list = (v: unknown) =>
    Array.isArray(v)
      ? v.filter((x): x is string => typeof x === "string" && x.trim() !== "")
      : typeof v === "string"
        ? v
            .split(/[,;]/)
            .map((s) => s.trim())
            .filter(Boolean)
        : [];
  const topics = [...list(brand.topics), ...list(brand.pillars), ...list(brand.keywords)];
  const source = find(input, /^source(Post)?$/i) as Record<string, unknown> | undefined;
  return {
    input,
    userText,
    brandName: str(brand.name) ?? str(input.workspaceName) ?? "our studio",
    tone: str(brand.tone) ?? str(brand.voice) ?? "friendly",
    topics: topics.length ? topics : words(str(source?.caption) ?? userText).slice(0, 3),
    audience: str(brand.audience) ?? "our community",
    sourceText: str(source?.caption) ?? str(input.caption),
    seed: hash(JSON.stringify(input) + userText),
  };
}

/** The first value under a key matching `re`, searched breadth-first. */
export function find(value: unknown, re: RegExp): unknown {
  const queue: unknown[] = [value];
  while (queue.length) {
    const v = queue.shift();
    if (!v || typeof v !== "object") continue;
    for (const [k, child] of Object.entries(v)) {
      if (re.test(k) && child !== null && child !== undefined) return child;
      queue.push(child);
    }
  }
  return undefined;
}

/** Every object inside `value` (depth-first), with the key path of the array holding it. */
export function objectsIn(value: unknown, out: Array<{ key: string; obj: Record<string, unknown> }> = [], key = "") {
  if (Array.isArray(value)) for (const v of value) objectsIn(v, out, key);
  else if (value && typeof value === "object") {
    if (key) out.push({ key, obj: value as Record<string, unknown> });
    for (const [k, v] of Object.entries(value)) if (v && typeof v === "object") objectsIn(v, out, k);
  }
  return out;
}

/** Meaningful words of a text (for topics and hashtags). */
export function words(text: string): string[] {
  const stop = new Set(
    "the a an and or for with from this that our your you we is are to of in on at it be as by new how why what".split(
      " ",
    ),
  );
  return [
    ...new Set(
      text
        .toLowerCase()
        .replace(/#\w+/g, " ")
        .split(/[^a-z0-9à-ÿ]+/)
        .filter((w) => w.length > 3 && !stop.has(w)),
    ),
  ];
}

/** FNV-1a: a small, stable string hash. */
export function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
