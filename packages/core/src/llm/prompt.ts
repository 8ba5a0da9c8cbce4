import type { z } from "zod";
import type { EntryPoint } from "../config/llm";

/**
 * A prompt as code: its entry point, a version (bumped with any change of wording or schema, and
 * written to the usage ledger), the strict output schema, and how an input becomes messages.
 * One file per entry point in `prompts/`.
 *
 * Strict-schema rules (OpenAI structured outputs): the root is an object, every field is
 * required (`.nullable()` instead of `.optional()`), no union at the root. Rules JSON Schema
 * cannot say (caption lengths per platform, times inside the week) are checked by code after
 * the answer, and fed back in the one repair.
 */
export interface PromptDef<I, S extends z.ZodTypeAny> {
  entryPoint: EntryPoint;
  /** The JSON schema's `name` in `response_format` (also the offline model's fault key `llm.<name>`). */
  name: string;
  version: string;
  schema: S;
  system: string;
  /** The user message; inputs go in as one JSON block (already trimmed to the budget). */
  user(input: I): string;
  /** Input sections in the order they are shortened to fit the entry point's token budget. */
  trimOrder: string[];
}

export const definePrompt = <I, S extends z.ZodTypeAny>(def: PromptDef<I, S>) => def;

/** Renders an input as the JSON block every prompt ends with (the offline model reads it too). */
export const inputBlock = (input: unknown) => `Input:\n\`\`\`json\n${JSON.stringify(input, null, 1)}\n\`\`\``;
