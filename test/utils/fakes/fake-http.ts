import type { ServerResponse } from 'node:http';
import { startRecording, type FakeRequest, type RunningFake } from './fake-server.js';

export type { FakeRequest } from './fake-server.js';

/** A running fake: its base URL, what it received, and a close that also drops the connections it left hanging. */
export type FakeServer = RunningFake;

/** A fake on loopback whose `handle` writes each answer itself (see {@link startRecording}). */
export function startFake(handle: (req: FakeRequest, res: ServerResponse) => void): Promise<FakeServer> {
  return startRecording('', handle);
}

/** A JSON answer with extra headers. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The scenario named in a text as `[scenario:name]`, or `fallback`. */
export function scenarioOf(text: unknown, fallback = 'success'): string {
  const m = typeof text === 'string' ? /\[scenario:([a-z0-9-]+)\]/.exec(text) : null;
  return m?.[1] ?? fallback;
}
