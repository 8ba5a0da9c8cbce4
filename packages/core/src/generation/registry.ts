import { CAMPAIGN_PLAN_FEATURE, campaignPlanGenerator } from "../campaign/plan";
import * as Plan from "../plan/plan";
import * as Repurpose from "../repurpose/repurpose";
import type { Generator } from "./generator";

/**
 * Every background generation by feature name: the `llm` queue's consumer runs the one named in
 * the message. Add a feature here (and its `Generation.start(...)` in its route) to run it in
 * the background (generation/README.md).
 */
export const generators: Record<string, Generator> = {
  [CAMPAIGN_PLAN_FEATURE]: campaignPlanGenerator,
  [Plan.FEATURE]: Plan.generator,
  [Repurpose.FEATURE]: Repurpose.generator,
};
