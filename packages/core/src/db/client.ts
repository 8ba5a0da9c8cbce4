import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

let client: DynamoDBDocumentClient | undefined;

/**
 * The DynamoDB document client every entity uses. Built without an endpoint so that
 * `AWS_ENDPOINT_URL_DYNAMODB` (set by the local runtime) points it at DynamoDB Local, and in
 * AWS it talks to the real service.
 */
export function dynamo(): DynamoDBDocumentClient {
  client ??= DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 4 }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return client;
}

/** For tests and the benchmark: replace the client (e.g. one with a counting middleware). */
export function setDynamo(next: DynamoDBDocumentClient | undefined) {
  client = next;
}
