import "../secrets";
import { logger } from "@studio/core/util/logger";

/** Mondays at 09:00 UTC. PLACEHOLDER: the weekly report fan-out arrives in a later issue. */
export const handler = async () => {
  logger.info("weekly report tick: work arrives in a later issue");
};
