import "../secrets";
import { logger } from "@studio/core/util/logger";

/** Every 6 hours (UTC). PLACEHOLDER: the metrics refresh fan-out arrives in a later issue. */
export const handler = async () => {
  logger.info("metrics refresh tick: work arrives in a later issue");
};
