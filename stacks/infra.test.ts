import { alarmThresholds } from "@studio/core/config/alarms";
import { api as apiSpec, dlqName, queueName, queues, schedules, tokenKeeper } from "@studio/core/config/jobs";
import { table } from "@studio/core/db/table";
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { Alarms } from "./alarms";
import { Api } from "./api";
import { Queues } from "./queues";
import { Schedules } from "./schedules";
import { Storage } from "./storage";
import { synthesize } from "./synth";

/**
 * The one infra test: synthesizes every stack offline once (bundling every function, ~10 s)
 * and pins what keeps Studio stable. Settings are read from packages/core/src/config/jobs.ts,
 * and the ones that matter most are also written out literally here, so a change to the module
 * alone fails the test.
 */

const STAGE = "test";
/** Literal copy of the schedules: changing jobs.ts without changing this test must fail. */
const EXPECTED_SCHEDULES = {
  publishDispatcher: "cron(* * * * ? *)", // every minute
  metricsRefresh: "cron(0 */6 * * ? *)", // every 6 hours, UTC
  weeklyReport: "cron(0 9 ? * MON *)", // Mondays 09:00 UTC
  competitorsRefresh: "cron(0 0 * * ? *)", // daily 00:00 UTC
  tokenKeeper: "cron(*/15 * * * ? *)", // every 15 minutes: refresh tokens well before they expire
};
const FOURTEEN_DAYS = 14 * 24 * 3600;
/**
 * Literal copy of the llm queue (issue 10): one generation per invocation, room for two model
 * calls; a short visibility renewed by a heartbeat, so a crashed worker's generation resumes
 * within a minute (not after 30 min); receives to spare for crashes and lease bounces.
 */
const EXPECTED_LLM_QUEUE = {
  name: "llm",
  handler: "packages/functions/src/queue/llm.handler",
  timeoutSeconds: 300,
  visibilityTimeoutSeconds: 60,
  heartbeat: { everySeconds: 15 },
  batchSize: 1,
  maxBatchingWindowSeconds: 0,
  maxConcurrency: 5,
  maxReceiveCount: 6,
  dlqRetentionDays: 14,
};

/** CloudFormation JSON as the template holds it: untyped by nature, checked by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: template JSON
type Json = any;
type Resource = { Type: string; Properties: Record<string, Json>; DeletionPolicy?: string };
let t: { storage: Template; queues: Template; schedules: Template; api: Template; alarms: Template };
/** Alarm subscribers come from configuration at synth time. */
const ALARM_EMAIL = "oncall@example.com";
const ALARM_WEBHOOK = "https://hooks.example.com/studio";

/** The API's public URL given at deploy (a domain verified with TikTok). */
const PUBLIC_API_URL = "https://api.studio.example";

beforeAll(async () => {
  process.env.STUDIO_ALARM_EMAILS = ALARM_EMAIL;
  process.env.STUDIO_ALARM_WEBHOOKS = ALARM_WEBHOOK;
  process.env.STUDIO_PUBLIC_API_URL = PUBLIC_API_URL;
  const { template } = await synthesize(STAGE);
  t = {
    storage: template(Storage),
    queues: template(Queues),
    schedules: template(Schedules),
    api: template(Api),
    alarms: template(Alarms),
  };
});

const resources = (tpl: Template, type: string) =>
  Object.entries(tpl.findResources(type) as Record<string, Resource>).map(([id, r]) => ({ id, ...r }));

const one = <T>(list: T[], what: string): T => {
  expect(list, what).toHaveLength(1);
  return list[0]!;
};

/** Studio's own functions (not CDK's or SST's helper functions), by handler path. */
const studioFunctions = (tpl: Template) =>
  resources(tpl, "AWS::Lambda::Function").filter((f) =>
    String(f.Properties.Handler).startsWith("packages/functions/src/"),
  );

const allFunctions = () => [t.queues, t.schedules, t.api].flatMap(studioFunctions);

describe("table", () => {
  it("is the single table of table.ts: pk/sk, 4 GSIs with ALL projection, on-demand, TTL, PITR, retained", () => {
    const db = one(resources(t.storage, "AWS::DynamoDB::Table"), "one table");
    const p = db.Properties;
    expect(p.TableName).toBe(`${STAGE}-studio`);
    expect(p.KeySchema).toEqual([
      { AttributeName: table.partitionKey, KeyType: "HASH" },
      { AttributeName: table.sortKey, KeyType: "RANGE" },
    ]);
    expect(p.BillingMode).toBe("PAY_PER_REQUEST");
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: "ttl", Enabled: true });
    expect(table.ttlAttribute).toBe("ttl");
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(db.DeletionPolicy).toBe("Retain");

    const gsis = p.GlobalSecondaryIndexes as Array<Record<string, Json>>;
    expect(gsis.map((g) => g.IndexName).sort()).toEqual(["due", "gsi1", "gsi2", "lease", "published"]);
    for (const [name, index] of Object.entries(table.indexes)) {
      const gsi = gsis.find((g) => g.IndexName === name)!;
      expect(gsi.KeySchema).toEqual([
        { AttributeName: index.partitionKey, KeyType: "HASH" },
        { AttributeName: index.sortKey, KeyType: "RANGE" },
      ]);
      expect(gsi.Projection).toEqual({ ProjectionType: "ALL" });
    }
  });
});

describe.each(Object.values(queues))("queue $name", (spec) => {
  const queue = () =>
    one(
      resources(t.queues, "AWS::SQS::Queue").filter((q) => q.Properties.QueueName === queueName(STAGE, spec.name)),
      "queue",
    );
  const dlq = () =>
    one(
      resources(t.queues, "AWS::SQS::Queue").filter((q) => q.Properties.QueueName === dlqName(STAGE, spec.name)),
      "dlq",
    );
  const mapping = () =>
    one(
      resources(t.queues, "AWS::Lambda::EventSourceMapping").filter(
        (m) => m.Properties.EventSourceArn?.["Fn::GetAtt"]?.[0] === queue().id,
      ),
      "event source mapping",
    );
  const consumer = () => {
    const ref = mapping().Properties.FunctionName.Ref as string;
    return one(
      resources(t.queues, "AWS::Lambda::Function").filter((f) => f.id === ref),
      "consumer",
    );
  };

  it("has its own DLQ, kept 14 days, after the configured receives", () => {
    expect(dlq().Properties.MessageRetentionPeriod).toBe(FOURTEEN_DAYS);
    expect(dlq().Properties.MessageRetentionPeriod).toBe(spec.dlqRetentionDays * 24 * 3600);
    expect(queue().Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { "Fn::GetAtt": [dlq().id, "Arn"] },
      maxReceiveCount: spec.maxReceiveCount,
    });
  });

  it("is consumed with partial batch failures, the configured batch and bounded concurrency", () => {
    const p = mapping().Properties;
    expect(p.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    expect(p.BatchSize).toBe(spec.batchSize);
    expect(p.MaximumBatchingWindowInSeconds).toBe(spec.maxBatchingWindowSeconds);
    expect(p.ScalingConfig).toEqual({ MaximumConcurrency: spec.maxConcurrency });
    expect(spec.maxConcurrency).toBeGreaterThanOrEqual(2); // the SQS event source minimum
  });

  it("tells its consumer the API's public URL (platforms fetch media through it)", () => {
    expect(consumer().Properties.Environment.Variables.STUDIO_PUBLIC_API_URL).toBe(PUBLIC_API_URL);
  });

  it("hides a message at least 6× as long as its consumer may run, or renews it by heartbeat", () => {
    const timeout = consumer().Properties.Timeout as number;
    expect(timeout).toBe(spec.timeoutSeconds);
    expect(queue().Properties.VisibilityTimeout).toBe(spec.visibilityTimeoutSeconds);
    if (spec.heartbeat) {
      // Three heartbeats per visibility: one late renewal does not let the message reappear.
      expect(queue().Properties.VisibilityTimeout).toBeGreaterThanOrEqual(3 * spec.heartbeat.everySeconds);
      // …and a crashed worker's message is back within about a minute.
      expect(queue().Properties.VisibilityTimeout).toBeLessThanOrEqual(60);
    } else {
      expect(queue().Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
    }
  });

  it("runs the handler of jobs.ts", () => {
    expect(consumer().Properties.Handler).toBe(spec.handler);
  });
});

describe("llm queue", () => {
  it("jobs.ts still says what this test says", () => {
    expect(queues.llm).toEqual(EXPECTED_LLM_QUEUE);
  });

  it("exists with its DLQ in the template", () => {
    const names = resources(t.queues, "AWS::SQS::Queue").map((q) => q.Properties.QueueName);
    expect(names).toEqual(expect.arrayContaining([queueName(STAGE, "llm"), dlqName(STAGE, "llm")]));
  });
});

describe("schedules", () => {
  it("jobs.ts still says what this test says", () => {
    expect(Object.fromEntries(Object.values(schedules).map((s) => [s.name, s.expression]))).toEqual(EXPECTED_SCHEDULES);
  });

  it("has exactly one rule per schedule", () => {
    expect(resources(t.schedules, "AWS::Events::Rule")).toHaveLength(Object.keys(EXPECTED_SCHEDULES).length);
  });

  it.each(Object.values(schedules))("$name fires on its expression and runs its handler", (spec) => {
    const rules = resources(t.schedules, "AWS::Events::Rule").filter(
      (r) => r.Properties.ScheduleExpression === spec.expression,
    );
    const rule = one(rules, `rule for ${spec.name}`);
    expect(rule.Properties.ScheduleExpression).toBe(EXPECTED_SCHEDULES[spec.name]);
    expect(rule.Properties.State).toBe("ENABLED");
    const target = one(rule.Properties.Targets as Array<Record<string, Json>>, "target");
    const fn = one(
      resources(t.schedules, "AWS::Lambda::Function").filter((f) => f.id === target.Arn["Fn::GetAtt"][0]),
      "job function",
    );
    expect(fn.Properties.Handler).toBe(spec.handler);
    expect(fn.Properties.Timeout).toBe(spec.timeoutSeconds);
  });
});

describe("token keeper", () => {
  it("is one schedule with its own queue and DLQ, all from one entry of jobs.ts", () => {
    expect(schedules.tokenKeeper).toBe(tokenKeeper.schedule);
    expect(queues.tokens).toBe(tokenKeeper.queue);
    const names = resources(t.queues, "AWS::SQS::Queue").map((q) => q.Properties.QueueName);
    expect(names).toEqual(expect.arrayContaining([`${STAGE}-studio-tokens`, `${STAGE}-studio-tokens-dlq`]));
    const rule = one(
      resources(t.schedules, "AWS::Events::Rule").filter(
        (r) => r.Properties.ScheduleExpression === "cron(*/15 * * * ? *)",
      ),
      "token keeper rule",
    );
    expect(rule.Properties.State).toBe("ENABLED");
    // Written out: a consumer that may call a platform (10 s per call) well inside its timeout,
    // five receives before the DLQ, and no more than two at once (refreshes are rare and cheap).
    expect(tokenKeeper.queue).toMatchObject({ timeoutSeconds: 30, maxReceiveCount: 5, maxConcurrency: 2 });
  });
});

describe("publish queue consumption", () => {
  it("takes at most 50 batches of up to 10 at once, with no batching window (a post waits for nothing)", () => {
    const q = one(
      resources(t.queues, "AWS::SQS::Queue").filter((x) => x.Properties.QueueName === queueName(STAGE, "publish")),
      "publish queue",
    );
    const m = one(
      resources(t.queues, "AWS::Lambda::EventSourceMapping").filter(
        (x) => x.Properties.EventSourceArn?.["Fn::GetAtt"]?.[0] === q.id,
      ),
      "publish event source mapping",
    );
    expect(queues.publish).toMatchObject({ batchSize: 10, maxBatchingWindowSeconds: 0, maxConcurrency: 50 });
    expect(m.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 50 });
  });
});

describe("alarms", () => {
  const alarms = () => resources(t.alarms, "AWS::CloudWatch::Alarm");
  const topic = () => one(resources(t.alarms, "AWS::SNS::Topic"), "one alarm topic");
  const byName = (name: string) =>
    one(
      alarms().filter((a) => a.Properties.AlarmName === `${STAGE}-studio-${name}`),
      `alarm ${name}`,
    );
  const dims = (a: { Properties: Record<string, Json> }) =>
    Object.fromEntries((a.Properties.Dimensions ?? []).map((d: Json) => [d.Name, d.Value]));

  it("go to one SNS topic whose subscribers come from configuration, on ALARM and on OK", () => {
    expect(topic().Properties.TopicName).toBe(`${STAGE}-studio-alarms`);
    const subs = resources(t.alarms, "AWS::SNS::Subscription").map((x) => [
      x.Properties.Protocol,
      x.Properties.Endpoint,
    ]);
    expect(subs).toEqual(
      expect.arrayContaining([
        ["email", ALARM_EMAIL],
        ["https", ALARM_WEBHOOK],
      ]),
    );
    expect(subs).toHaveLength(2);
    for (const a of alarms()) {
      expect(a.Properties.AlarmActions, a.Properties.AlarmName).toEqual([{ Ref: topic().id }]);
      expect(a.Properties.OKActions, a.Properties.AlarmName).toEqual([{ Ref: topic().id }]);
      expect(a.Properties.ComparisonOperator).toBe("GreaterThanOrEqualToThreshold");
      expect(a.Properties.TreatMissingData).toBe("notBreaching");
    }
  });

  it("watch every DLQ's depth: one dead letter is enough", () => {
    for (const kind of Object.keys(queues)) {
      const a = byName(`${kind}-dlq-depth`);
      expect(a.Properties).toMatchObject({
        Namespace: "AWS/SQS",
        MetricName: "ApproximateNumberOfMessagesVisible",
        Statistic: "Maximum",
        Period: 300,
        Threshold: 1,
      });
      expect(Object.keys(dims(a))).toEqual(["QueueName"]);
    }
    expect(alarmThresholds.dlqMessages).toBe(1);
  });

  it("watch the publish queue's oldest message (20 minutes)", () => {
    expect(byName("publish-oldest-message").Properties).toMatchObject({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateAgeOfOldestMessage",
      Threshold: 1200,
    });
  });

  it("watch every Studio function's errors and throttles", () => {
    const fnAlarms = (metric: string) =>
      alarms().filter((a) => a.Properties.Namespace === "AWS/Lambda" && a.Properties.MetricName === metric);
    for (const metric of ["Errors", "Throttles"]) {
      const list = fnAlarms(metric);
      expect(list, metric).toHaveLength(allFunctions().length);
      for (const a of list) {
        expect(Object.keys(dims(a))).toEqual(["FunctionName"]);
        expect(a.Properties).toMatchObject({ Statistic: "Sum", Period: 300, Threshold: 1 });
      }
    }
    byName("publishDispatcher-errors");
    byName("tokens-consumer-throttles");
    byName("api-errors");
  });

  it("watch dispatcher and sweep failures and unconfirmed posts, metrics Studio emits", () => {
    for (const [name, metric, statistic] of [
      ["dispatcher-failures", "DispatcherFailures", "Sum"],
      ["sweep-failures", "SweepFailures", "Sum"],
      ["unconfirmed-posts", "UnconfirmedPosts", "Maximum"],
    ]) {
      const a = byName(name as string);
      expect(a.Properties).toMatchObject({
        Namespace: "Studio",
        MetricName: metric,
        Statistic: statistic,
        Threshold: 1,
      });
      expect(dims(a)).toEqual({ service: "studio", stage: STAGE });
    }
  });

  it("are exactly these: DLQs, the publish backlog, 2 per function, 3 of Studio's own", () => {
    expect(alarms()).toHaveLength(Object.keys(queues).length + 1 + 2 * allFunctions().length + 3);
  });
});

describe("metrics and competitors fan-outs", () => {
  // Written out: a schedule fans out one message per active account (metrics, every 6 h) or per
  // competitor (daily); a consumer handles up to 5 accounts' messages per invocation, 5 (3) at
  // once, a message is tried 5 times before its DLQ (kept 14 days).
  it("jobs.ts still says what this test says", () => {
    expect(queues.metrics).toEqual({
      name: "metrics",
      handler: "packages/functions/src/queue/metrics.handler",
      timeoutSeconds: 60,
      visibilityTimeoutSeconds: 360,
      batchSize: 5,
      maxBatchingWindowSeconds: 1,
      maxConcurrency: 5,
      maxReceiveCount: 5,
      dlqRetentionDays: 14,
    });
    expect(queues.competitors).toEqual({
      name: "competitors",
      handler: "packages/functions/src/queue/competitors.handler",
      timeoutSeconds: 60,
      visibilityTimeoutSeconds: 360,
      batchSize: 5,
      maxBatchingWindowSeconds: 1,
      maxConcurrency: 3,
      maxReceiveCount: 5,
      dlqRetentionDays: 14,
    });
    expect(schedules.metricsRefresh).toMatchObject({
      expression: "cron(0 */6 * * ? *)",
      handler: "packages/functions/src/cron/metrics-refresh.handler",
    });
    expect(schedules.competitorsRefresh).toMatchObject({
      expression: "cron(0 0 * * ? *)",
      handler: "packages/functions/src/cron/competitors-refresh.handler",
    });
  });

  it.each([
    ["metricsRefresh", "metrics"],
    ["competitorsRefresh", "competitors"],
  ] as const)("%s's function may send to the %s queue and knows its URL", (schedule, queue) => {
    const fn = one(
      studioFunctions(t.schedules).filter((f) => f.Properties.Handler === schedules[schedule].handler),
      `${schedule} function`,
    );
    expect(policyActions(t.schedules, fn.Properties.Role["Fn::GetAtt"][0])).toContain("sqs:SendMessage");
    expect(fn.Properties.Environment.Variables[`STUDIO_QUEUE_URL_${queue.toUpperCase()}`]).toBeDefined();
  });
});

describe("api", () => {
  it("is one HTTP API whose $default route goes to one Hono Lambda", () => {
    one(resources(t.api, "AWS::ApiGatewayV2::Api"), "http api");
    const route = one(resources(t.api, "AWS::ApiGatewayV2::Route"), "route");
    expect(route.Properties.RouteKey).toBe("$default");
    const fn = one(studioFunctions(t.api), "api lambda");
    expect(fn.Properties.Handler).toBe(apiSpec.handler);
    expect(fn.Properties.Timeout).toBe(apiSpec.timeoutSeconds);
  });

  it("throttles the stage (all routes) as config/jobs.ts says", () => {
    const stage = one(resources(t.api, "AWS::ApiGatewayV2::Stage"), "stage");
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: apiSpec.throttle.rate,
      ThrottlingBurstLimit: apiSpec.throttle.burst,
    });
    expect(apiSpec.throttle.rate).toBeGreaterThan(0);
  });

  it("leaves the per-key rate limit at its default (never turned off in AWS)", () => {
    const fn = one(studioFunctions(t.api), "api lambda");
    const vars = fn.Properties.Environment.Variables as Record<string, unknown>;
    expect(vars.STUDIO_RATE_LIMIT_PER_KEY).toBeUndefined();
    expect(vars.STUDIO_RATE_LIMIT_PER_WORKSPACE).toBeUndefined();
  });

  it("may read and replay dead letters (ops), and read the admin token", () => {
    const fn = one(studioFunctions(t.api), "api lambda");
    const actions = policyActions(t.api, fn.Properties.Role["Fn::GetAtt"][0]);
    for (const a of ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage"]) expect(actions).toContain(a);
    expect(fn.Properties.Environment.Variables.SST_Secret_value_STUDIO_ADMIN_TOKEN).toBeDefined();
  });
});

describe("every Studio function", () => {
  it("is one of the queue consumers, the scheduled jobs or the API", () => {
    expect(allFunctions()).toHaveLength(Object.keys(queues).length + Object.keys(schedules).length + 1);
  });

  it("knows the stage, the table, every queue and DLQ, the encryption key and the OpenAI key (secrets)", () => {
    const expected = [
      "STUDIO_STAGE",
      "STUDIO_TABLE_NAME",
      ...Object.keys(queues).flatMap((k) => [
        `STUDIO_QUEUE_URL_${k.toUpperCase()}`,
        `STUDIO_DLQ_URL_${k.toUpperCase()}`,
      ]),
      "SST_Secret_value_STUDIO_ENCRYPTION_KEY",
      "SST_Secret_value_OPENAI_API_KEY",
    ];
    for (const fn of allFunctions()) {
      const vars = fn.Properties.Environment.Variables as Record<string, unknown>;
      expect(Object.keys(vars), fn.id).toEqual(expect.arrayContaining(expected));
      expect(vars.STUDIO_STAGE).toBe(STAGE);
      // Secrets are bound (SSM), never plain values in the template.
      expect(vars.OPENAI_API_KEY, fn.id).toBeUndefined();
    }
  });

  it("never lets user-supplied URLs reach private addresses (STUDIO_OUTBOUND_ALLOW_PRIVATE is local only)", () => {
    for (const fn of allFunctions()) {
      const vars = fn.Properties.Environment.Variables as Record<string, unknown>;
      expect(vars.STUDIO_OUTBOUND_ALLOW_PRIVATE, fn.id).toBeUndefined();
    }
    for (const tpl of Object.values(t))
      expect(JSON.stringify(tpl.toJSON())).not.toContain("STUDIO_OUTBOUND_ALLOW_PRIVATE");
  });

  it("may read and write the table and send to every queue", () => {
    for (const tpl of [t.queues, t.schedules, t.api]) {
      for (const fn of studioFunctions(tpl)) {
        const actions = policyActions(tpl, fn.Properties.Role["Fn::GetAtt"][0]);
        for (const a of ["dynamodb:Query", "dynamodb:TransactWriteItems", "dynamodb:UpdateItem", "sqs:SendMessage"]) {
          expect(actions, `${fn.id} ${a}`).toContain(a);
        }
        // Every source queue; the API also its DLQs (replay resends to the source and may park back).
        const targets = Object.keys(queues).length * (tpl === t.api ? 2 : 1);
        expect(sqsSendResources(tpl, fn.Properties.Role["Fn::GetAtt"][0]), fn.id).toHaveLength(targets);
      }
    }
  });
});

/** Every action granted to a role by the policies attached to it in the template. */
function policyActions(tpl: Template, roleId: string): string[] {
  return rolePolicies(tpl, roleId).flatMap((s) => [s.Action].flat());
}

/** Distinct queue resources a role may send to (source queues; DLQs too for the API). */
function sqsSendResources(tpl: Template, roleId: string): string[] {
  const arns = rolePolicies(tpl, roleId)
    .filter((s) => [s.Action].flat().includes("sqs:SendMessage"))
    .flatMap((s) => [s.Resource].flat().map((r) => JSON.stringify(r)));
  return [...new Set(arns)];
}

function rolePolicies(tpl: Template, roleId: string): Array<Record<string, Json>> {
  return resources(tpl, "AWS::IAM::Policy")
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}
