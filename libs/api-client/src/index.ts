export * from './api-client.js';
export { type LiveStreamNotice } from './live-events.stream.js';
export { type SseMessage, SseOverflowError, SseParser } from './sse-parser.js';
