import { alarmSubscribers, alarmThresholds, METRIC_NAMESPACE, studioMetrics } from "@studio/core/config/alarms";
import { type QueueKind, resourceName } from "@studio/core/config/jobs";
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  type MetricOptions,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription, UrlSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
// aws-cdk-lib/core, not the package root: the root re-exports all 305 service modules (alone,
// 2,400 type files instead of ~300); here it took tsc's peak memory from 2.6 to 2.0 GB.
import { Duration } from "aws-cdk-lib/core";
import { type StackContext, use } from "sst/constructs";
import { Api } from "./api";
import { Queues } from "./queues";
import { Schedules } from "./schedules";

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Operators learn without looking: CloudWatch alarms on every DLQ's depth, the publish queue's
 * oldest message, every Studio function's errors and throttles, failed dispatcher runs and lease
 * sweeps, and unconfirmed posts (metrics Studio emits, core/ops/metrics.ts), all to ONE SNS
 * topic whose subscribers come from configuration (config/alarms.ts: STUDIO_ALARM_EMAILS,
 * STUDIO_ALARM_WEBHOOKS). Thresholds: config/alarms.ts, shared with `pnpm ops health`, which
 * reports the same conditions locally. Alarms also notify when they return to OK.
 */
export function Alarms({ stack, app }: StackContext) {
  const { queues } = use(Queues);
  const { crons } = use(Schedules);
  const { api } = use(Api);
  const t = alarmThresholds;

  const topic = new Topic(stack, "AlarmTopic", { topicName: resourceName(app.stage, "alarms") });
  const subscribers = alarmSubscribers();
  for (const email of subscribers.emails) topic.addSubscription(new EmailSubscription(email));
  for (const url of subscribers.webhooks) topic.addSubscription(new UrlSubscription(url));
  const notify = new SnsAction(topic);

  const alarm = (id: string, metric: IMetric, threshold: number, description: string) => {
    const a = new Alarm(stack, id, {
      alarmName: resourceName(app.stage, id),
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    a.addAlarmAction(notify);
    a.addOkAction(notify);
    return a;
  };

  // Every DLQ: a dead letter is a message Studio gave up on.
  for (const [kind, { dlq }] of Object.entries(queues) as Array<[QueueKind, (typeof queues)[QueueKind]]>) {
    alarm(
      `${kind}-dlq-depth`,
      dlq.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: "Maximum" }),
      t.dlqMessages,
      `Dead letters in the ${kind} DLQ: pnpm ops peek ${kind}, then replay or settle.`,
    );
  }

  // The publish queue's oldest message: consumers not keeping up, or failing.
  alarm(
    "publish-oldest-message",
    queues.publish.queue.cdk.queue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: "Maximum" }),
    t.publishOldestMessageSeconds,
    `The publish queue's oldest message is over ${t.publishOldestMessageSeconds / 60} minutes old: posts are late.`,
  );

  // Every Studio function: errors and throttles.
  const functions: Array<[string, IFunction]> = [
    ...Object.entries(queues).map(([kind, q]) => [`${kind}-consumer`, q.queue.consumerFunction as IFunction]),
    ...Object.entries(crons).map(([name, c]) => [name, c.jobFunction as IFunction]),
    ["api", api.getFunction("$default") as IFunction],
  ] as Array<[string, IFunction]>;
  for (const [name, fn] of functions) {
    alarm(
      `${name}-errors`,
      fn.metricErrors({ period: FIVE_MINUTES, statistic: "Sum" }),
      t.lambdaErrors,
      `The ${name} function failed (Lambda errors).`,
    );
    alarm(
      `${name}-throttles`,
      fn.metricThrottles({ period: FIVE_MINUTES, statistic: "Sum" }),
      t.lambdaThrottles,
      `The ${name} function was throttled.`,
    );
  }

  // Metrics Studio emits (embedded metric format, dimensions service + stage).
  const studio = (name: string, opts: MetricOptions) =>
    new Metric({
      namespace: METRIC_NAMESPACE,
      metricName: name,
      dimensionsMap: { service: "studio", stage: app.stage },
      period: FIVE_MINUTES,
      ...opts,
    });
  alarm(
    "dispatcher-failures",
    studio(studioMetrics.dispatcherFailures, { statistic: "Sum" }),
    t.dispatcherFailures,
    "A publish dispatcher run failed: due posts may not have been sent (GET /v1/ops/jobs?kind=publishDispatcher).",
  );
  alarm(
    "sweep-failures",
    studio(studioMetrics.sweepFailures, { statistic: "Sum" }),
    t.sweepFailures,
    "The lease sweep failed: posts whose worker died are not being resumed.",
  );
  alarm(
    "unconfirmed-posts",
    studio(studioMetrics.unconfirmedPosts, { statistic: "Maximum" }),
    t.unconfirmedPosts,
    "Posts are unconfirmed: Studio could not establish whether they are live. Check them and settle (POST /v1/ops/posts/{id}/settle).",
  );

  stack.addOutputs({ AlarmTopicArn: topic.topicArn });
  return { topic };
}
