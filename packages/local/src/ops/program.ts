import { Command, CommanderError, InvalidArgumentError } from "commander";
import { apiClient, type Call, CliError, EXIT } from "./client";

/** What every command gets: the API caller and the output settings of the global options. */
export interface OpsContext {
  call: Call;
  /** `--json`: print the API's JSON instead of a table (for scripts). */
  json: boolean;
  out: (text: string) => void;
}

/** A command adds itself to the program; its action gets the context. */
export type OpsCommand = (program: Command, ctx: () => OpsContext) => void;

/**
 * The `pnpm ops` program: global options, help on every command, usage and exit code 2 on a
 * wrong command or option, one line and exit code 1 when the API fails.
 *
 * @example
 * const code = await runOps(["jobs", "--limit", "5"], [jobsCommand]);
 */
export async function runOps(
  argv: string[],
  commands: OpsCommand[],
  io: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => process.stdout.write(`${s}\n`),
    err: (s) => process.stderr.write(`${s}\n`),
  },
): Promise<number> {
  const program = new Command("ops")
    .description("Studio's operator tool: queues, dead letters, job runs and schedules, through the admin API.")
    .option("--url <url>", "API base URL (default: STUDIO_API_URL, else http://localhost:$STUDIO_PORT)")
    .option("--token <token>", "admin token (default: STUDIO_ADMIN_TOKEN)")
    .option("--json", "print JSON instead of tables", false)
    .showHelpAfterError("(run with --help for usage)")
    .showSuggestionAfterError()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
  const ctx = (): OpsContext => {
    const o = program.opts<{ url?: string; token?: string; json: boolean }>();
    return { call: apiClient({ url: o.url, token: o.token }), json: o.json, out: io.out };
  };
  for (const add of commands) add(program, ctx);
  program.commands.forEach((c) => {
    c.exitOverride().showHelpAfterError("(run with --help for usage)");
  });
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; everything else is a usage error.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      io.err(`ops: ${err.message}`);
      return err.exitCode;
    }
    io.err(`ops: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.failed;
  }
}

/** An option value that must be a positive integer (commander's argParser). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}".`);
  return n;
}
