import pLimit from "p-limit";

/**
 * At most `max` of the calls made through the returned function run at once; the others wait
 * their turn in order (p-limit).
 *
 * @example
 * const limit = limiter(8);
 * await Promise.all(ids.map((id) => limit(() => markEnqueued(id, 3))));
 */
export const limiter = (max: number) => pLimit(max);
