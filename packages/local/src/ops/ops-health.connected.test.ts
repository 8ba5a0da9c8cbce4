import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { env } from "@studio/core/config/env";
import * as JobRun from "@studio/core/job-run/job-run";
import { sqs } from "@studio/core/queue/sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStudio, type TestStudio } from "../testing/studio";
import { healthCommand } from "./commands/health";
import { runOps } from "./program";

/**
 * `pnpm ops health` / GET /v1/ops/health: the conditions of the CloudWatch alarms
 * (stacks/alarms.ts), reported by the running system, with exit code 1 when one is in alarm.
 */
describe("ops health (connected)", () => {
  let s: TestStudio;
  const ops = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runOps(["--url", s.runtime.apiUrl!, "--token", s.runtime.adminToken, ...argv], [healthCommand], {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
    });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  beforeAll(async () => {
    s = await startTestStudio({ pollers: false, schedules: false });
  });
  afterAll(() => s?.stop());

  it("all ok on a quiet system: every condition listed, exit 0", async () => {
    const r = await ops("health");
    expect(r.code).toBe(0);
    expect(r.out.split("\n")[0]).toMatch(/^condition\s+state\s+value\s+alarm at\s+detail$/);
    for (const name of ["publish-dlq-depth", "tokens-dlq-depth", "publish-backlog", "dispatcher-failures"]) {
      expect(r.out).toMatch(new RegExp(`^${name}\\s+ok\\b`, "m"));
    }
    expect(r.out).toMatch(/^sweep-failures\s+ok/m);
    expect(r.out).toMatch(/^unconfirmed-posts\s+ok\s+0/m);
    expect(r.out).toContain("all ok");
  });

  it("a dead letter, a failed dispatcher run (its sweep) and a failed job: in alarm, exit 1, the API says why", async () => {
    await sqs().send(new SendMessageCommand({ QueueUrl: env.dlqUrl("tokens"), MessageBody: '{"kind":"token"}' }));
    await JobRun.record("publishDispatcher", "manual", async () => {
      throw new Error("lease sweep failed: the table is unavailable");
    }).catch(() => undefined);
    await JobRun.record("tokenKeeper", "manual", async () => {
      throw new Error("queue unavailable");
    }).catch(() => undefined);

    const r = await ops("health");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^tokens-dlq-depth\s+ALARM\s+1\s+1/m);
    expect(r.out).toMatch(/^dispatcher-failures\s+ALARM\s+1\s+1\s+lease sweep failed/m);
    expect(r.out).toMatch(/^sweep-failures\s+ALARM\s+1/m);
    expect(r.out).toMatch(/^job-errors\s+ALARM\s+1\s+1\s+tokenKeeper: queue unavailable/m);
    expect(r.out).toMatch(/^publish-dlq-depth\s+ok/m);
    expect(r.err).toContain("in alarm");

    const api = await s.api<{ ok: boolean; conditions: Array<{ name: string; ok: boolean }> }>("GET", "/v1/ops/health");
    expect(api.status).toBe(200);
    expect(api.body.ok).toBe(false);
    expect(api.body.conditions.filter((c) => !c.ok).map((c) => c.name)).toEqual([
      "tokens-dlq-depth",
      "dispatcher-failures",
      "sweep-failures",
      "job-errors",
    ]);
  });

  it("is for the admin only", async () => {
    const { key } = await s.workspace();
    const res = await s.api("GET", "/v1/ops/health", undefined, key);
    expect(res.status).toBe(403);
  });
});
