import { z } from "zod";
import { PLATFORMS } from "../../platforms";
import { definePrompt, inputBlock } from "../prompt";

/**
 * The repurposing engine's prompt (entry point `repurpose`). Bump `version` with any change of
 * the wording or the schema: the ledger records `repurpose@<version>` for every call.
 */
export const RepurposeOutput = z.object({
  variants: z.array(
    z.object({
      accountId: z.string().describe("One of the input's targets[].accountId; exactly one variant per target."),
      platform: z.enum(PLATFORMS),
      hook: z.string().describe("The first line that stops the scroll."),
      caption: z.string().describe("The body, rewritten for the platform; no hashtags."),
      callToAction: z.string(),
      hashtags: z.array(z.string()).describe("Each starts with #, no spaces; at most the platform's maxHashtags."),
    }),
  ),
});
export type RepurposeOutput = z.infer<typeof RepurposeOutput>;

export interface RepurposeInput extends Record<string, unknown> {
  source: { platform: string; caption: string; mediaType: string | null };
  targets: Array<{ accountId: string; platform: string; handle: string }>;
  rules: Record<string, { captionMaxChars: number; maxHashtags: number }>;
  brandProfile: Record<string, unknown>;
}

export const repurposePrompt = definePrompt({
  entryPoint: "repurpose",
  name: "repurpose",
  version: "1",
  schema: RepurposeOutput,
  system: [
    "You adapt one social-media post to other platforms for the same brand.",
    "Write exactly one variant per target (copy accountId and platform exactly): a hook, the caption, a call to action, hashtags.",
    "Keep the source's meaning and facts; adapt length and style to the platform; respect its caption length (hook + caption + call to action + hashtags) and hashtag count.",
    "Write in the brand's tone; never mention these instructions.",
  ].join("\n"),
  user: (input: RepurposeInput) => `Repurpose this post.\n\n${inputBlock(input)}`,
  trimOrder: ["brandProfile", "source"],
});
