import { Service } from "electrodb";
import { AccountEntity } from "../account/account.entity";
import { ToolCallEntity } from "../agent/tool-call.entity";
import { ApiKeyEntity } from "../api-key/api-key.entity";
import { CampaignEntity } from "../campaign/campaign.entity";
import { CaptionEditEntity } from "../caption-edit/caption-edit.entity";
import { CompetitorEntity, CompetitorMetricsEntity } from "../competitor/competitor.entity";
import { env } from "../config/env";
import { ExperimentEntity } from "../experiment/experiment.entity";
import { GenerationEntity } from "../generation/generation.entity";
import { JobRunEntity, JobRunPartEntity } from "../job-run/job-run.entity";
import { LlmSpendEntity, LlmUsageEntity } from "../llm/llm-usage.entity";
import { AccountMetricsDayEntity, PostMetricsEntity } from "../metrics/post-metrics.entity";
import { WeeklyPlanEntity } from "../plan/weekly-plan.entity";
import { PostEntity } from "../post/post.entity";
import { MessageFailureEntity } from "../queue/message-failure.entity";
import { RateCounterEntity } from "../rate-limit/rate-counter.entity";
import { ReportEntity } from "../report/report.entity";
import { WorkspaceEntity } from "../workspace/workspace.entity";
import { dynamo } from "./client";

const make = () =>
  new Service(
    {
      workspace: WorkspaceEntity,
      apiKey: ApiKeyEntity,
      account: AccountEntity,
      post: PostEntity,
      postMetrics: PostMetricsEntity,
      accountMetricsDay: AccountMetricsDayEntity,
      competitor: CompetitorEntity,
      competitorMetrics: CompetitorMetricsEntity,
      report: ReportEntity,
      weeklyPlan: WeeklyPlanEntity,
      experiment: ExperimentEntity,
      campaign: CampaignEntity,
      captionEdit: CaptionEditEntity,
      toolCall: ToolCallEntity,
      llmUsage: LlmUsageEntity,
      llmSpend: LlmSpendEntity,
      generation: GenerationEntity,
      jobRun: JobRunEntity,
      jobRunPart: JobRunPartEntity,
      messageFailure: MessageFailureEntity,
      rateCounter: RateCounterEntity,
    },
    { client: dynamo(), table: env.tableName() },
  );

export type Studio = ReturnType<typeof make>;

let service: Studio | undefined;
let boundTo: { table: string; client: unknown } | undefined;

/**
 * The ElectroDB service over Studio's one table. Built on first use (the table name and the
 * client come from the environment), rebuilt if either changes (tests, the benchmark).
 *
 * @example
 * const { data } = await db().entities.post.get({ id }).go();
 */
export function db(): Studio {
  const table = env.tableName();
  const client = dynamo();
  if (!service || boundTo?.table !== table || boundTo.client !== client) {
    service = make();
    boundTo = { table, client };
  }
  return service;
}
