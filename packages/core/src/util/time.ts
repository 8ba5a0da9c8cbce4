/** Instants are ISO-8601 UTC strings with milliseconds; nothing depends on the process TZ. */
export const nowIso = (now = Date.now()) => new Date(now).toISOString();

/** Parses an instant with an offset or Z; returns undefined for anything else. */
export function parseInstant(value: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value)) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Epoch seconds `days` from now: the DynamoDB TTL attribute. */
export const ttlInDays = (days: number, now = Date.now()) => Math.floor(now / 1000) + days * 86_400;

/** True when `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
