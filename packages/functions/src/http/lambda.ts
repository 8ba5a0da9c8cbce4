import { handle } from "hono/aws-lambda";
import { app } from "./app";

/** API Gateway (HTTP API) → the Hono app. */
export const handler = handle(app);
