import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { awsClientConfig, honourAbortScope } from "../aws/clients";

let client: DynamoDBDocumentClient | undefined;

/**
 * The DynamoDB document client every entity uses. Built without an endpoint so that
 * `AWS_ENDPOINT_URL_DYNAMODB` (set by the local runtime) points it at DynamoDB Local, and in
 * AWS it talks to the real service. Connection and request timeouts, and the abort signal of
 * the record being worked on, bound every request (aws/clients.ts).
 */
export function dynamo(): DynamoDBDocumentClient {
  client ??= createDynamo();
  return client;
}

/**
 * A document client with Studio's settings; `endpoint` for tests (e.g. a proxy that stalls).
 *
 * @example
 * setDynamo(createDynamo({ endpoint: proxy.url }));
 */
export function createDynamo(opts: { endpoint?: string } = {}): DynamoDBDocumentClient {
  const raw = honourAbortScope(
    new DynamoDBClient({ ...awsClientConfig(), ...(opts.endpoint ? { endpoint: opts.endpoint } : {}) }),
  );
  return DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
}

/** For tests and the benchmark: replace the client (e.g. one with a counting middleware). */
export function setDynamo(next: DynamoDBDocumentClient | undefined) {
  client = next;
}
