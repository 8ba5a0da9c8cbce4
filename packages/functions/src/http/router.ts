import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./auth";
import { defaultHook } from "./errors";

/** A routes file's app: every route validates through the shared `defaultHook`. */
export const router = () => new OpenAPIHono<AppEnv>({ defaultHook });
