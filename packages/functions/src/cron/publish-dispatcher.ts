import { logger } from "@studio/core/util/logger";

/** Every minute. PLACEHOLDER until the publish engine lands (issue 3). */
export const handler = async () => {
  logger.info("publish dispatcher tick (placeholder)");
};
