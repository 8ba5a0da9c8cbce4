/** PLACEHOLDER so the stacks synthesize; the API engineer replaces it with the Hono app. */
export const handler = async () => ({ statusCode: 200, body: "ok" });
