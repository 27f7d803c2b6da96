/**
 * The live stream's connection, as the operator needs to judge what is on screen: connecting (never up yet),
 * connected, reconnecting (just lost; the first retry is on its way) or disconnected (retries fail). `since` is when the
 * mode began: for reconnecting and disconnected, when the stream was lost (or, never up, when the TUI started).
 */
export type Connection =
  | { readonly mode: 'connecting'; readonly since: number }
  | { readonly mode: 'connected'; readonly since: number }
  | { readonly mode: 'reconnecting'; readonly since: number; readonly attempt: number; readonly error: string }
  | { readonly mode: 'disconnected'; readonly since: number; readonly attempt: number; readonly error: string };

/** What the stream reports: it is up, or an attempt failed (`attempt` counts failures since it was last up). */
export type ConnectionEvent =
  | { readonly type: 'connected'; readonly at: number }
  | { readonly type: 'failed'; readonly at: number; readonly attempt: number; readonly error: string };

export const initialConnection = (at: number): Connection => ({ mode: 'connecting', since: at });

/** The transitions of the connection; every mode handles every event. */
export function nextConnection(c: Connection, e: ConnectionEvent): Connection {
  switch (c.mode) {
    case 'connecting':
      return e.type === 'connected'
        ? { mode: 'connected', since: e.at }
        : { mode: 'disconnected', since: c.since, attempt: e.attempt, error: e.error };
    case 'connected':
      return e.type === 'connected' ? c : { mode: 'reconnecting', since: e.at, attempt: e.attempt, error: e.error };
    case 'reconnecting':
    case 'disconnected':
      return e.type === 'connected'
        ? { mode: 'connected', since: e.at }
        : { mode: 'disconnected', since: c.since, attempt: e.attempt, error: e.error };
  }
}

/** Whether the data on screen may be out of date: the stream is not up. */
export const isStale = (c: Connection): boolean => c.mode !== 'connected';

/** The connection in a few words for a status line: `● connected`, `◌ reconnecting since 12:00:01 (stream ended)`… */
export function connectionText(c: Connection): string {
  const at = new Date(c.since).toISOString().slice(11, 19);
  switch (c.mode) {
    case 'connecting':
      return '○ connecting';
    case 'connected':
      return '● connected';
    case 'reconnecting':
      return `◌ reconnecting since ${at} (${c.error})`;
    case 'disconnected':
      return `○ disconnected since ${at} (${c.error}, ${c.attempt} tr${c.attempt === 1 ? 'y' : 'ies'})`;
  }
}
