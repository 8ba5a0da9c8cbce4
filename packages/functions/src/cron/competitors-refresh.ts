import "../secrets";
import { logger } from "@studio/core/util/logger";

/** Daily at 00:00 UTC. PLACEHOLDER: the competitors refresh fan-out arrives in a later issue. */
export const handler = async () => {
  logger.info("competitors refresh tick: work arrives in a later issue");
};
