import { describe, expect, it } from "vitest";
import { DEFAULTS, runChaos } from "./driver";

/**
 * The 100-post chaos run (issue 4): the whole runtime as a child process, a quarter of the
 * platform calls faulted, worker crashes at every step boundary, one SIGKILL of the runtime's
 * process group (Node + DynamoDB Local) mid-run and a restart on the same data. Fails if any
 * invariant breaks: a duplicate, a lost or stuck post, a failed/unconfirmed post without a
 * reason, a published post that is not live, a failed one that is.
 */
describe("chaos run (connected)", () => {
  it("100 posts under faults, crashes and a SIGKILL: nothing lost, stuck or published twice", async () => {
    const lines: string[] = [];
    const report = await runChaos({
      ...DEFAULTS,
      posts: 100,
      spreadMs: 40_000,
      // How long after the last post is due (+10 s) every post must be final. Messages sent just
      // before the SIGKILL may not have reached fauxqs's snapshot: the dispatcher sends such a
      // post again CHAOS_RESEND_AFTER_MS (12 s) after its time, within one period (2 s) — before
      // the settle even starts for all but the last posts. From its (re)delivery a post is final
      // within its retry window and processing deadline (2% of production: 72 s + 72 s at most,
      // driver.ts publishDeadlineMs), and far sooner in practice: the faults are cleared when the
      // settle starts. The settle ends as soon as every post is final; this bound only decides
      // when a post still open counts as stuck.
      settleTimeoutMs: 150_000,
      seed: 7,
      // The reconnect phase (what settles posts on accounts left needs_reconnect) belongs to the
      // full run; the behaviour itself has its own test (e2e/publish-reconnect-settles).
      reconnect: false,
      log: (l) => lines.push(l),
    });
    const broken = report.invariants.filter((i) => !i.ok);
    expect(broken, `${lines.join("\n")}\ndata kept in ${report.dataDir}`).toEqual([]);
    expect(report.kills).toHaveLength(1);
    expect(report.kills[0]?.killedProcesses).toEqual(expect.arrayContaining(["java"]));
    expect(Object.values(report.byStatus).reduce((a, b) => a + b, 0)).toBe(100);
    // The faults did fire, and most posts still went out.
    expect(report.faultsFired.totalCalls).toBeGreaterThan(100);
    expect(Object.keys(report.faultsFired).length).toBeGreaterThan(4);
    expect(report.byStatus.published ?? 0).toBeGreaterThan(50);
  }, 320_000);
});
