/**
 * The operator CLI's view of the API: the admin routes over HTTP, so the CLI works the same
 * against the local runtime and a deployed stage.
 */

/** Exit codes a script can rely on. */
export const EXIT = {
  ok: 0,
  /** The API answered an error, could not be reached, or the work it reports failed. */
  failed: 1,
  /** Wrong command, option or argument (usage is printed). */
  usage: 2,
} as const;

/** A failure the CLI reports in one line and exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
  }
}

export interface ApiSettings {
  url?: string;
  token?: string;
}

export type Call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => Promise<T>;

/**
 * A caller of the admin API from the global options (or STUDIO_API_URL / STUDIO_PORT and
 * STUDIO_ADMIN_TOKEN).
 *
 * @example
 * const call = apiClient({ url: "http://localhost:3000", token });
 * const { items } = await call<{ items: unknown[] }>("GET", "/v1/ops/queues");
 */
export function apiClient(settings: ApiSettings): Call {
  const base = settings.url ?? process.env.STUDIO_API_URL ?? `http://localhost:${process.env.STUDIO_PORT ?? 3000}`;
  const token = settings.token ?? process.env.STUDIO_ADMIN_TOKEN;
  return async (method, path, body) => {
    if (!token) {
      throw new CliError(
        "no admin token: set STUDIO_ADMIN_TOKEN (printed by the local runtime at start) or pass --token",
        EXIT.usage,
      );
    }
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? String(err);
      throw new CliError(`cannot reach the API at ${base} (${cause})`);
    }
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) {
      const e = json.error as { code?: string; message?: string } | undefined;
      throw new CliError(`the API answered ${res.status} ${e?.code ?? ""}: ${e?.message ?? ""}`.trim());
    }
    return json as never;
  };
}
