import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { queues } from "@studio/core/config/jobs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStudio, type TestStudio } from "../testing/studio";
import { deadLettersCommand } from "./commands/dead-letters";
import { jobsCommand } from "./commands/jobs";
import { queuesCommand } from "./commands/queues";
import { runOps } from "./program";

const run = promisify(execFile);

describe("operator CLI (connected)", () => {
  let s: TestStudio;
  const ops = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runOps(
      ["--url", s.runtime.apiUrl!, "--token", s.runtime.adminToken, ...argv],
      [queuesCommand, deadLettersCommand, jobsCommand],
      { out: (t) => out.push(t), err: (t) => err.push(t) },
    );
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  beforeAll(async () => {
    s = await startTestStudio({ pollers: ["metrics", "competitors"], schedules: false });
  });
  afterAll(() => s?.stop());

  it("pnpm ops --help prints usage and exits 0; a wrong option prints usage and exits 2", async () => {
    const help = await run("node", ["--import", "tsx", "packages/local/src/ops-cli.ts", "--help"]);
    expect(help.stdout).toContain("Usage: ops [options] [command]");
    expect(help.stdout).toMatch(/jobs \[options\]/);
    const wrong = await run("node", ["--import", "tsx", "packages/local/src/ops-cli.ts", "jobs", "--nope"]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(wrong).toMatchObject({ code: 2 });
    expect((wrong as { stderr: string }).stderr).toContain("unknown option '--nope'");
  });

  it("every command has help", async () => {
    for (const cmd of ["queues", "peek", "replay", "jobs", "run"]) {
      const r = await ops(cmd, "--help");
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: ops ${cmd}`);
    }
  });

  it("queues: a plain aligned table, no index column, no quotes", async () => {
    const r = await ops("queues");
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    expect(lines[0]).toMatch(/^queue\s+visible\s+in flight\s+delayed\s+dead letters$/);
    expect(r.out).not.toMatch(/\(index\)|'|│|┌/);
    expect(lines.map((l) => l.split(/\s+/)[0]).slice(1)).toEqual(Object.keys(queues));
    // aligned: every row's second column starts where the header's does
    const col = lines[0]!.indexOf("visible");
    for (const l of lines.slice(1)) expect(l.slice(0, col).trimEnd().length).toBeLessThan(col);
  });

  it("run <schedule> --wait fires it and follows the run to its end; jobs lists it", async () => {
    const r = await ops("run", "competitorsRefresh", "--wait", "--timeout", "30");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^competitorsRefresh run_\S+: ok in \d+\.\ds competitors=0/);
    const runId = r.out.split(" ")[1]!.replace(/:$/, "");
    const jobs = await ops("jobs", "--kind", "competitorsRefresh");
    expect(jobs.code).toBe(0);
    expect(jobs.out.split("\n")[0]).toMatch(
      /^run\s+kind\s+trigger\s+started\s+status\s+took\s+parts\s+failures\s+counts$/,
    );
    expect(jobs.out).toContain(runId);
    const asJson = await ops("--json", "jobs", "--kind", "competitorsRefresh", "--limit", "1");
    expect(JSON.parse(asJson.out)[0]).toMatchObject({ id: runId, status: "ok", trigger: "manual" });
  });

  it("exit codes: 2 for usage, 1 when the API refuses or cannot be reached", async () => {
    expect((await ops("run", "nope")).code).toBe(2);
    expect((await ops("jobs", "--limit", "0")).code).toBe(2);
    expect((await ops("frobnicate")).code).toBe(2);
    const refused = await runOps(["--url", s.runtime.apiUrl!, "--token", "wrong", "jobs"], [jobsCommand], {
      out: () => undefined,
      err: () => undefined,
    });
    expect(refused).toBe(1);
    const down = await runOps(["--url", "http://127.0.0.1:9", "--token", "t", "queues"], [queuesCommand], {
      out: () => undefined,
      err: () => undefined,
    });
    expect(down).toBe(1);
  });
});
