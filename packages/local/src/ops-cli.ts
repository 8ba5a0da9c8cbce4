/**
 * Studio's operator tool (`pnpm ops --help`). Talks to the API's admin routes, so it works the
 * same against the local runtime and a deployed stage. Reads STUDIO_API_URL (default
 * http://localhost:$STUDIO_PORT) and STUDIO_ADMIN_TOKEN, or --url / --token.
 *
 * Exit codes: 0 done; 1 the API failed, could not be reached, or the run waited for did not end
 * ok; 2 usage (unknown command or option, bad value, no token).
 *
 * A new command: a file in ops/commands/ exporting an `OpsCommand`, and one entry below.
 */
import { deadLettersCommand } from "./ops/commands/dead-letters";
import { healthCommand } from "./ops/commands/health";
import { jobsCommand } from "./ops/commands/jobs";
import { queuesCommand } from "./ops/commands/queues";
import { unconfirmedCommand } from "./ops/commands/unconfirmed";
import { runOps } from "./ops/program";

const commands = [queuesCommand, deadLettersCommand, jobsCommand, healthCommand, unconfirmedCommand];

process.exitCode = await runOps(process.argv.slice(2), commands);
