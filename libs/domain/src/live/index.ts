export { BoundedQueue } from './bounded-queue.js';
export {
  type AttemptFinishedEvent,
  type AttemptStartedEvent,
  type ExecutionStateEvent,
  type FindingEvent,
  type JobStateEvent,
  LIVE_KIND_CODES,
  LIVE_WIRE_COUNTS,
  LIVE_WIRE_FIELDS,
  type LiveEvent,
  type LiveEventBody,
  type LiveWireField,
  type LiveWireRecord,
  type LiveWireValue,
  decodeLivePayload,
  encodeLiveEvent,
} from './live-event.codec.js';
export {
  LIVE_EVENT_KINDS,
  LIVE_FILTER_PARAMS,
  type LiveEventMatcher,
  LiveFilterError,
  matchesLiveFilter,
  parseLiveFilter,
} from './live-event.filter.js';
