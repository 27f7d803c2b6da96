export { BoundedQueue } from './bounded-queue.js';
export { type LiveEventBody, decodeLivePayload } from './live-event.codec.js';
export {
  LIVE_EVENT_KINDS, LIVE_FILTER_PARAMS, type LiveEventMatcher, LiveFilterError, matchesLiveFilter, parseLiveFilter,
} from './live-event.filter.js';
