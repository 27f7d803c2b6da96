import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { streamLiveEvents, type LiveStreamNotice } from './live-events.stream.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A real HTTP server on loopback answering each connection with `handler` (its 0-based number given). */
async function serve(handler: (n: number, res: http.ServerResponse) => void): Promise<string> {
  let n = 0;
  const server = http.createServer((_req, res) => handler(n++, res));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/events`;
}

const rejected = (status: number): Error => new Error(`rejected ${status}`);

describe(streamLiveEvents.name, () => {
  it('drops a stream whose event never ends once it passes the bound, then reads the next connection', async () => {
    let sentOnFirst = 0;
    const url = await serve((n, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (n > 0) {
        res.write(`id: 7\ndata: ${JSON.stringify({ kind: 'job_state', jobId: 'j' })}\n\n`);
        return;
      }
      // An upstream that sends one endless data line: 64 KiB at a time, never a line end, until the client leaves.
      const chunk = `data: ${'x'.repeat(64 * 1024)}`;
      const pump = (): void => {
        while (!res.destroyed && sentOnFirst < 64 * 1024 * 1024) {
          sentOnFirst += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      res.on('close', () => undefined);
      pump();
    });
    const notices: LiveStreamNotice[] = [];
    const controller = new AbortController();
    const stream = streamLiveEvents({
      url,
      headers: {},
      signal: controller.signal,
      onNotice: (x) => notices.push(x),
      maxEventChars: 1024 * 1024,
      backoffMs: { initial: 10, max: 20 },
      rejected,
    });
    const first = await stream.next();
    controller.abort();
    expect(first.value).toEqual({ kind: 'job_state', jobId: 'j' });
    const reconnect = notices.find((x) => x.type === 'reconnecting');
    expect(reconnect).toMatchObject({ type: 'reconnecting', attempt: 1 });
    expect((reconnect as { error: string }).error).toMatch(/larger than 1048576 characters/);
    // The client left soon after the bound, not after the 64 MiB the server would have sent.
    expect(sentOnFirst).toBeLessThan(16 * 1024 * 1024);
  });
});
