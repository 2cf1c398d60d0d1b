/**
 * `import { sqsMessage, originOfRequest } from 'onebox/events'`: routing that follows events.
 * A producer puts its user's identity (and its own version) into each message; a consumer
 * processes each record with its user's version (the local engine's EventConsumer, or
 * `onebox/aws`'s Lambda wrapper on AWS).
 */
export {
  originBaggage,
  originOfRequest,
  readOrigin,
  FROM_KEY,
  type Origin,
  type ReadOrigin,
  type Writer,
} from './origin.js';
export {
  eventBridgeEntry,
  eventBridgeOrigin,
  kinesisData,
  kinesisRecordOrigin,
  sqsMessage,
  sqsRecordOrigin,
  type KinesisRecordLike,
  type SqsRecordLike,
} from './formats.js';
export { decideRecord, type RecordDecision, type RecordReason } from './decide.js';
