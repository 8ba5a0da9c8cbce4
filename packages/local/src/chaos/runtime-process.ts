import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync, type WriteStream } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("../../../../", import.meta.url)));
const MAIN = join(ROOT, "packages/local/src/main.ts");

export interface RuntimeProcessOptions {
  dataDir: string;
  port: number;
  /** Environment of the child on top of a cleaned copy of this process's (no STUDIO_*, no AWS endpoints). */
  env: Record<string, string>;
  /** Each start's output goes to `<logDir>/runtime-<n>.log`. */
  logDir: string;
  startTimeoutMs?: number;
}

/**
 * The whole local runtime (`packages/local/src/main.ts --data <dir>`) as a child process in
 * its own process group, so that `kill()` can SIGKILL all of it at once — Node and the DynamoDB
 * Local JVM it spawned — exactly like a power cut, and `start()` can bring it back on the same
 * data dir.
 *
 * @example
 * const rt = new RuntimeProcess({ dataDir, port, env, logDir });
 * await rt.start(); await rt.kill(); await rt.start(); await rt.stop();
 */
export class RuntimeProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private starts = 0;
  readonly apiUrl: string;

  constructor(private readonly opts: RuntimeProcessOptions) {
    this.apiUrl = `http://127.0.0.1:${opts.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<{ readyMs: number; log: string }> {
    if (this.child) throw new Error("runtime already running");
    const started = Date.now();
    const file = join(this.opts.logDir, `runtime-${++this.starts}.log`);
    this.log = createWriteStream(file);
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (k.startsWith("STUDIO_") || k.startsWith("AWS_ENDPOINT_URL") || k.startsWith("VITEST")) continue;
      env[k] = v;
    }
    Object.assign(env, this.opts.env, { STUDIO_PORT: String(this.opts.port), NODE_ENV: "production" });
    const tsx = createRequire(join(ROOT, "package.json")).resolve("tsx");
    const child = spawn(process.execPath, ["--import", tsx, MAIN, "--data", this.opts.dataDir], {
      cwd: ROOT,
      env,
      detached: true, // its own process group: kill(-pid) reaches the JVM too
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.child = child;
    const timeoutMs = this.opts.startTimeoutMs ?? 90_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.child = undefined;
        throw new Error(`runtime exited during start (${child.exitCode ?? child.signalCode}); see ${file}`);
      }
      try {
        const res = await fetch(`${this.apiUrl}/health`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() - started > timeoutMs) {
        await this.kill();
        throw new Error(`runtime did not become healthy within ${timeoutMs} ms; see ${file}`);
      }
      await sleep(250);
    }
    return { readyMs: Date.now() - started, log: file };
  }

  /**
   * SIGKILL to the whole process group, then waits until no process of the group is left (the
   * DynamoDB Local JVM included), so a restart never meets a half-dead emulator holding its files.
   */
  async kill(): Promise<{ killed: string[] }> {
    const child = this.child;
    if (!child?.pid) return { killed: [] };
    const pgid = child.pid;
    const members = groupMembers(pgid);
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
    const until = Date.now() + 15_000;
    while (groupAlive(pgid)) {
      if (Date.now() > until) throw new Error(`process group ${pgid} survived SIGKILL`);
      await sleep(50);
    }
    this.child = undefined;
    this.log?.end();
    return { killed: members };
  }

  /** Graceful stop (SIGTERM: the runtime drains and stops DynamoDB Local), SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    const exited = new Promise((r) => child.once("exit", r));
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // gone
    }
    await Promise.race([exited, sleep(graceMs)]);
    await this.kill();
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The command names of the group's processes (Linux /proc; empty when it cannot tell). */
export function groupMembers(pgid: number): string[] {
  const names: string[] = [];
  try {
    for (const d of readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (Number(fields[2]) === pgid) names.push(stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")));
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return names;
}
