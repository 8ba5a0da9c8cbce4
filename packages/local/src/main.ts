import { parseArgs } from "node:util";
import { logger } from "@studio/core/util/logger";
import { runDemo } from "./demo";
import { runtimeOptionsFromEnv } from "./runtime/options-from-env";
import { type Runtime, startRuntime } from "./runtime/runtime";

/**
 * `pnpm dev`: Studio on one machine, in the foreground until Ctrl-C.
 * `pnpm start` (`--demo`): the same, plus a walk through the API; `--demo --exit` stops after it.
 * `--data <dir>` (or STUDIO_DATA_DIR) keeps DynamoDB and SQS data across restarts.
 * Settings: see runtime/options-from-env.ts and the README.
 */
async function main() {
  const { values } = parseArgs({
    // `pnpm start -- --exit` passes a literal `--` through: ignore it.
    args: process.argv.slice(2).filter((a) => a !== "--"),
    options: {
      demo: { type: "boolean", default: false },
      exit: { type: "boolean", default: false },
      data: { type: "string" },
      port: { type: "string" },
    },
  });
  const options = runtimeOptionsFromEnv(process.env, {
    dataDir: values.data,
    port: values.port === undefined ? undefined : Number(values.port),
  });

  let rt: Runtime | undefined;
  let firstSignalAt = 0;
  const onSignal = async (signal: NodeJS.Signals) => {
    // A terminal's Ctrl-C reaches this process twice within milliseconds (directly, and relayed
    // by tsx): only a second signal a moment later means "force".
    if (firstSignalAt && Date.now() - firstSignalAt < 1000) return;
    if (firstSignalAt) {
      console.error(`\n${signal} again: exiting now`);
      process.exit(130);
    }
    firstSignalAt = Date.now();
    console.error(`\n${signal}: stopping (in-flight batches finish first; ${signal} again forces exit)…`);
    await rt?.stop();
    process.exit(0);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  rt = await startRuntime(options);
  const ready = process.uptime();
  const lines = [
    "",
    "Studio is running.",
    `  API           ${rt.apiUrl ?? "(not served: packages/functions/src/http/app.ts is missing)"}`,
    `  admin token   ${rt.adminToken}`,
    `  stage         ${rt.stage} (table ${rt.tableName})`,
    `  data          ${options.dataDir ?? "in memory (use --data <dir> or STUDIO_DATA_DIR to keep it)"}`,
    `  DynamoDB      ${rt.dynamoEndpoint}`,
    `  SQS           ${rt.sqsEndpoint}`,
    `  platforms     instagram ${process.env.STUDIO_INSTAGRAM_API_URL ?? "-"}`,
    `                facebook  ${process.env.STUDIO_FACEBOOK_API_URL ?? "-"}`,
    `                tiktok    ${process.env.STUDIO_TIKTOK_API_URL ?? "-"}`,
    `  LLM           ${rt.offlineModel ? `offline model ${rt.offlineModel.baseUrl} (no OPENAI_API_KEY set)` : (process.env.OPENAI_BASE_URL ?? "OpenAI")}`,
    `  pollers       ${Object.keys(rt.pollers).join(", ") || "none"}`,
    `  schedules     ${options.schedules === false ? "none" : describeSchedules(options.schedules?.periodSeconds ?? {})}`,
    `ready in ${ready.toFixed(1)} s. Ctrl-C stops.`,
  ];
  console.log(lines.join("\n"));

  if (values.demo) {
    await runDemo(rt);
    if (values.exit) {
      await rt.stop();
      process.exit(0);
    }
    console.log("\nDemo done; Studio keeps running. Ctrl-C stops.");
  }
}

function describeSchedules(periods: Record<string, number>): string {
  const overridden = Object.entries(periods).map(([n, s]) => `${n} every ${s} s`);
  return overridden.length ? `real expressions, except ${overridden.join(", ")}` : "on their real expressions (UTC)";
}

main().catch((err) => {
  logger.error("local runtime failed to start", { error: err instanceof Error ? err.message : String(err) });
  console.error(err);
  process.exit(1);
});
