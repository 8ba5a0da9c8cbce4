import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Simulators } from "../simulators/index";
import { repoRoot } from "./handler-module";

/**
 * Modules other parts of Studio provide to the local runtime. Each is loaded by path, and
 * only if its file exists, so the runtime still starts while one is being built; a module that
 * exists but fails to load is a real error and is thrown.
 */
export const integrationModules = {
  api: "packages/functions/src/http/app.ts",
  simulators: "packages/local/src/simulators/index.ts",
} as const;

export type { Simulators };

interface HonoLike {
  fetch: (request: Request, ...rest: unknown[]) => Response | Promise<Response>;
}

async function loadOptional<T>(relative: string): Promise<T | undefined> {
  const file = resolve(repoRoot, relative);
  if (!existsSync(file)) return undefined;
  return (await import(pathToFileURL(file).href)) as T;
}

/** The API's Hono app (`export const app`), or undefined while it does not exist yet. */
export async function loadApiApp(): Promise<HonoLike | undefined> {
  const mod = await loadOptional<{ app?: HonoLike }>(integrationModules.api);
  if (!mod) return undefined;
  if (!mod.app || typeof mod.app.fetch !== "function") {
    throw new Error(`${integrationModules.api} does not export a Hono \`app\``);
  }
  return mod.app;
}

/** `startSimulators` from the simulators module, or undefined while it does not exist yet. */
export async function loadSimulators(): Promise<((opts: { port?: number }) => Promise<Simulators>) | undefined> {
  const mod = await loadOptional<{ startSimulators?: (opts: { port?: number }) => Promise<Simulators> }>(
    integrationModules.simulators,
  );
  if (!mod) return undefined;
  if (typeof mod.startSimulators !== "function") {
    throw new Error(`${integrationModules.simulators} does not export startSimulators`);
  }
  return mod.startSimulators;
}
