import type { Message } from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from "aws-lambda";

/**
 * Turns received SQS messages into the `SQSEvent` the Lambda event source mapping delivers:
 * same record fields, system attributes as strings, message attributes with lower-case keys.
 *
 * @example
 * const event = sqsEvent(res.Messages ?? [], queue.arn);
 */
export function sqsEvent(messages: Message[], queueArn: string): SQSEvent {
  const awsRegion = queueArn.split(":")[3] ?? process.env.AWS_REGION ?? "us-east-1";
  return { Records: messages.map((m) => sqsRecord(m, queueArn, awsRegion)) };
}

function sqsRecord(m: Message, eventSourceARN: string, awsRegion: string): SQSRecord {
  const a = m.Attributes ?? {};
  const attributes: SQSRecordAttributes = {
    ApproximateReceiveCount: a.ApproximateReceiveCount ?? "1",
    SentTimestamp: a.SentTimestamp ?? String(Date.now()),
    SenderId: a.SenderId ?? "000000000000",
    ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  };
  if (a.MessageGroupId) attributes.MessageGroupId = a.MessageGroupId;
  if (a.MessageDeduplicationId) attributes.MessageDeduplicationId = a.MessageDeduplicationId;
  if (a.SequenceNumber) attributes.SequenceNumber = a.SequenceNumber;
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, v] of Object.entries(m.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: v.DataType ?? "String",
      stringValue: v.StringValue,
      binaryValue: v.BinaryValue ? Buffer.from(v.BinaryValue).toString("base64") : undefined,
      stringListValues: v.StringListValues ?? [],
      binaryListValues: (v.BinaryListValues ?? []).map((b) => Buffer.from(b).toString("base64")),
    };
  }
  return {
    messageId: m.MessageId as string,
    receiptHandle: m.ReceiptHandle as string,
    body: m.Body ?? "",
    attributes,
    messageAttributes,
    md5OfBody: m.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN,
    awsRegion,
  };
}
