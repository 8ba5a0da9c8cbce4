import type { TestProject } from "vitest/node";
import { startDynamoLocal, startSqsLocal } from "../aws/emulators";

/**
 * One DynamoDB Local and one fauxqs for the whole connected suite. Each test file provisions
 * its own table and queues under a unique stage (testing/connected.ts), so files run in
 * parallel without seeing each other's data.
 */
export default async function setup(project: TestProject) {
  const [dynamo, sqs] = await Promise.all([startDynamoLocal(), startSqsLocal()]);
  project.provide("dynamoEndpoint", dynamo.endpoint);
  project.provide("sqsEndpoint", sqs.endpoint);
  return async () => {
    await Promise.all([dynamo.stop(), sqs.stop()]);
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    sqsEndpoint: string;
  }
}
