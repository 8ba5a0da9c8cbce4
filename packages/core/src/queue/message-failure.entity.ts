import { Entity } from "electrodb";

/**
 * Why a queue message failed, kept by message id so an operator peeking at a DLQ sees the first
 * and last failure reason (SQS itself keeps none). Written only on failure; expires with the DLQ.
 */
export const MessageFailureEntity = new Entity({
  model: { entity: "messageFailure", version: "1", service: "studio" },
  attributes: {
    messageId: { type: "string", required: true, readOnly: true },
    queue: { type: "string", required: true },
    firstReason: { type: "string", required: true },
    firstAt: { type: "string", required: true },
    lastReason: { type: "string", required: true },
    lastAt: { type: "string", required: true },
    failures: { type: "number", required: true },
    ttl: { type: "number" },
  },
  indexes: {
    byMessage: {
      pk: { field: "pk", casing: "none", composite: ["messageId"] },
      sk: { field: "sk", casing: "none", composite: [] },
    },
  },
});
