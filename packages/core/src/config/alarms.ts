/**
 * What operators are told about without looking: the CloudWatch alarms of stacks/alarms.ts and
 * the same conditions locally (`pnpm ops health`, `GET /v1/ops/health`). One place for the
 * thresholds, read by both.
 */
export const alarmThresholds = {
  /** Any dead letter is a message Studio gave up on: alarm at 1. */
  dlqMessages: 1,
  /**
   * The publish queue's oldest message, seconds. Posts are sent up to a dispatcher period (and
   * SQS's 15-minute delay cap) ahead, and retries wait their backoff in the queue, so a message
   * older than 20 minutes means the consumers are not keeping up or are failing.
   */
  publishOldestMessageSeconds: 20 * 60,
  /** Lambda errors (any Studio function) in 5 minutes. */
  lambdaErrors: 1,
  /** Lambda throttles (any Studio function) in 5 minutes. */
  lambdaThrottles: 1,
  /** Failed dispatcher runs, and failed lease sweeps, in 5 minutes (it runs every minute). */
  dispatcherFailures: 1,
  sweepFailures: 1,
  /** Posts `unconfirmed` (Studio could not learn whether they are live): a person should look. */
  unconfirmedPosts: 1,
  /** Locally: a scheduled post this many seconds past its time and still not taken. */
  overdueScheduledSeconds: 5 * 60,
} as const;

/** Custom metrics Studio emits (CloudWatch embedded metric format, namespace below). */
export const METRIC_NAMESPACE = "Studio";
export const studioMetrics = {
  dispatcherFailures: "DispatcherFailures",
  sweepFailures: "SweepFailures",
  unconfirmedPosts: "UnconfirmedPosts",
} as const;

/**
 * Who gets the alarms: one SNS topic, its subscribers from configuration at deploy time —
 * `STUDIO_ALARM_EMAILS` (comma-separated addresses) and `STUDIO_ALARM_WEBHOOKS` (comma-separated
 * https URLs, e.g. a chat or paging webhook).
 *
 * @example
 * STUDIO_ALARM_EMAILS=oncall@example.com npx sst deploy --stage prod
 */
export function alarmSubscribers(env: NodeJS.ProcessEnv = process.env): { emails: string[]; webhooks: string[] } {
  const list = (v: string | undefined) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  const webhooks = list(env.STUDIO_ALARM_WEBHOOKS);
  for (const url of webhooks) {
    if (!url.startsWith("https://")) throw new Error(`STUDIO_ALARM_WEBHOOKS: ${url} is not an https URL`);
  }
  return { emails: list(env.STUDIO_ALARM_EMAILS), webhooks };
}
