/**
 * At most `max` of the calls made through the returned function run at once; the others wait
 * their turn in order. A freed slot passes straight to the next waiter, so the bound holds.
 *
 * @example
 * const limit = limiter(8);
 * await Promise.all(ids.map((id) => limit(() => markEnqueued(id, 3))));
 */
export function limiter(max: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (fn) => {
    if (active < max) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
