/** Live-tail settings of a daemon. */
export interface LiveEventsOptions {
  /** Events kept for `Last-Event-ID` resumes. */
  ringSize: number;
  /** Frames one client may have waiting before the oldest are dropped. */
  clientBuffer: number;
  /** Comment line sent to idle clients this often, so proxies and clients see the stream alive. */
  heartbeatMs: number;
}

/** The defaults. */
export const DEFAULT_LIVE_EVENTS_OPTIONS: LiveEventsOptions = { ringSize: 10_000, clientBuffer: 5_000, heartbeatMs: 15_000 };

/** Injection token of the {@link LiveEventsOptions}. */
export const LIVE_EVENTS_OPTIONS = Symbol('LIVE_EVENTS_OPTIONS');
