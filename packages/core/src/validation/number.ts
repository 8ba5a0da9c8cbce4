/**
 * DynamoDB stores a number only if it is 0 or its magnitude is between 1e-130 and 9.99…e125
 * (38 significant digits; a JavaScript number has at most 17). Outside that range the write
 * fails ("Number underflow" / "Number overflow", a ValidationException): a number a caller
 * sends must be checked against it before it reaches the table, or bad input becomes a 500.
 */
export const MIN_STORABLE_MAGNITUDE = 1e-130;
/** Exclusive: every double below it is at most 9.99…e125 (DynamoDB's largest). */
export const STORABLE_MAGNITUDE_BOUND = 1e126;

/**
 * Whether DynamoDB can store `v` (finite, 0 or within its magnitude range).
 *
 * @example
 * isStorableNumber(5e-324); // false: a 400, not a failed write
 */
export function isStorableNumber(v: number): boolean {
  if (!Number.isFinite(v)) return false;
  const m = Math.abs(v);
  return m === 0 || (m >= MIN_STORABLE_MAGNITUDE && m < STORABLE_MAGNITUDE_BOUND);
}

export const STORABLE_NUMBER_MESSAGE = "Must be 0 or a number of magnitude at least 1e-130.";
