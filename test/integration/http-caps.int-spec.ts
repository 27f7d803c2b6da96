import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defaultConfig, type BeaconConfig } from '@beacon/domain';
import { postJob, startTestRunner, type TestRunner } from '../utils/runner-harness.js';

/** One response of a GET from a given local address: status, Retry-After, body; `close()` ends an open stream. */
interface Opened {
  status: number;
  retryAfter: string | null;
  body: string;
  close(): void;
}

/**
 * GETs `path` from `localAddress` (any 127.x address reaches a loopback server, and is a distinct client address to
 * it). Resolves on the response headers for a stream (200 event-stream), on the whole body otherwise.
 */
function get(base: string, path: string, localAddress = '127.0.0.1'): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${path}`, { localAddress, agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      const opened: Opened = {
        status: res.statusCode ?? 0,
        retryAfter: res.headers['retry-after'] ?? null,
        body: '',
        close: () => req.destroy(),
      };
      res.on('error', () => undefined);
      if (String(res.headers['content-type']).startsWith('text/event-stream')) return resolve(opened);
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        opened.body += c;
      });
      res.on('end', () => resolve(opened));
    });
    req.on('error', reject);
  });
}

function limited(limits: Partial<BeaconConfig['limits']>): BeaconConfig {
  const base = defaultConfig();
  return { ...base, limits: { ...base.limits, ...limits } };
}

describe('defect 13.11c: live-event streams and HTTP connections are capped, 503 with Retry-After past the cap', () => {
  describe('live-event streams', () => {
    let runner: TestRunner;
    beforeAll(async () => {
      runner = await startTestRunner(limited({ maxEventStreams: 4, maxEventStreamsPerClient: 2 }));
    });
    afterAll(async () => {
      await runner?.close();
    });

    it('defect 13.11c: caps streams per client address and in total, and frees a slot when a stream ends', async () => {
      const open: Opened[] = [];
      try {
        for (const addr of ['127.0.0.1', '127.0.0.1']) open.push(await get(runner.baseUrl, '/api/v1/events', addr));
        expect(open.map((o) => o.status)).toEqual([200, 200]);
        // A third stream from the same address: refused, naming the limit, with a time to come back.
        const perClient = await get(runner.baseUrl, '/api/v1/events', '127.0.0.1');
        expect(perClient).toMatchObject({ status: 503, retryAfter: '5' });
        expect(JSON.parse(perClient.body)).toMatchObject({
          error: 'unavailable',
          message: expect.stringContaining('limits.maxEventStreamsPerClient = 2'),
        });

        for (const addr of ['127.0.0.2', '127.0.0.2']) open.push(await get(runner.baseUrl, '/api/v1/events', addr));
        expect(open.map((o) => o.status)).toEqual([200, 200, 200, 200]);
        const total = await get(runner.baseUrl, '/api/v1/events', '127.0.0.3');
        expect(total).toMatchObject({ status: 503, retryAfter: '5' });
        expect(JSON.parse(total.body)).toMatchObject({ message: expect.stringContaining('limits.maxEventStreams = 4') });
        // Other routes are not affected.
        expect((await get(runner.baseUrl, '/health/live', '127.0.0.3')).status).toBe(200);

        // A stream that ends gives its slot back (to its own address, and to the total).
        open.shift()!.close();
        let again: Opened | null = null;
        for (let i = 0; i < 50 && again?.status !== 200; i++) {
          again?.close();
          await new Promise((r) => setTimeout(r, 20));
          again = await get(runner.baseUrl, '/api/v1/events', '127.0.0.3');
        }
        expect(again!.status).toBe(200);
        open.push(again!);
      } finally {
        for (const o of open) o.close();
      }
    });
  });

  describe('live-event streams whose clients leave during setup', () => {
    let runner: TestRunner;
    beforeAll(async () => {
      runner = await startTestRunner(limited({ maxEventStreams: 4, maxEventStreamsPerClient: 2 }));
    });
    afterAll(async () => {
      await runner?.close();
    });

    it('review 16: clients that disconnect while their stream is being set up leave no slot held', async () => {
      const port = Number(new URL(runner.baseUrl).port);
      // Rounds of clients that send the request and vanish at once: the first round arrives while the daemon is still
      // starting its LISTEN connection, the others while their requests are between the guard and the stream.
      for (let round = 0; round < 5; round++) {
        await Promise.all(
          Array.from(
            { length: 10 },
            (_, i) =>
              new Promise<void>((resolve) => {
                const s = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.4' }, () => {
                  s.write('GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
                  setTimeout(() => s.destroy(), i % 3);
                });
                s.on('error', () => undefined);
                s.on('close', () => resolve());
              }),
          ),
        );
      }
      // The address still gets its two streams (and the daemon its four).
      const open: Opened[] = [];
      try {
        for (let i = 0; i < 50 && open.length < 2; i++) {
          const o = await get(runner.baseUrl, '/api/v1/events', '127.0.0.4');
          if (o.status === 200) open.push(o);
          else await new Promise((r) => setTimeout(r, 20)); // a slot is given back when its close event has run
        }
        expect(open).toHaveLength(2);
        for (const addr of ['127.0.0.5', '127.0.0.5']) open.push(await get(runner.baseUrl, '/api/v1/events', addr));
        expect(open.map((o) => o.status)).toEqual([200, 200, 200, 200]);
      } finally {
        for (const o of open) o.close();
      }
    });
  });

  describe('connections', () => {
    let runner: TestRunner;
    beforeAll(async () => {
      runner = await startTestRunner(limited({ maxConnections: 8 }));
    });
    afterAll(async () => {
      await runner?.close();
    });

    it('defect 13.11c: a connection past limits.maxConnections gets 503 with Retry-After and changes nothing; capacity returns as connections close', async () => {
      const port = Number(new URL(runner.baseUrl).port);
      const idle: net.Socket[] = [];
      try {
        for (let i = 0; i < 8; i++) {
          idle.push(
            await new Promise<net.Socket>((resolve, reject) => {
              const s = net.connect(port, '127.0.0.1', () => resolve(s));
              s.on('error', reject);
            }),
          );
        }
        // Connections are counted as the server accepts them: wait until it has accepted all eight.
        const server = runner.app.getHttpServer() as http.Server;
        for (let i = 0; i < 100; i++) {
          const n = await new Promise<number>((resolve) => server.getConnections((_e, c) => resolve(c)));
          if (n >= 8) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        const before = await runner.ds.query('SELECT count(*)::int AS n FROM jobs');
        const refused = await fetch(`${runner.baseUrl}/api/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            id: 'over-cap',
            questions: [{ id: 'q1', text: 'What is 2 + 2?' }],
            models: ['llama3.2-1b'],
            regions: ['us-east'],
          }),
        });
        expect(refused.status).toBe(503);
        expect(refused.headers.get('retry-after')).toBe('5');
        expect(await refused.json()).toMatchObject({ error: 'unavailable', message: expect.stringContaining('limits.maxConnections = 8') });
        expect(await runner.ds.query('SELECT count(*)::int AS n FROM jobs')).toEqual(before);
        // Health probes are answered even past the cap (a failing liveness probe would get the daemon restarted).
        expect((await get(runner.baseUrl, '/health/live')).status).toBe(200);

        for (const s of idle.splice(0)) s.destroy();
        let live = 0;
        for (let i = 0; i < 50 && live !== 200; i++) {
          await new Promise((r) => setTimeout(r, 20));
          live = (await fetch(`${runner.baseUrl}/health/live`)).status;
        }
        expect(live).toBe(200);
      } finally {
        for (const s of idle) s.destroy();
      }
    });
    it('review 8: connections past the cap and its small headroom for health probes are closed on accept with a 503; probes are still answered', async () => {
      const port = Number(new URL(runner.baseUrl).port);
      const server = runner.app.getHttpServer() as http.Server;
      const CAP = 8;
      const HEADROOM = 4; // the guard's HEALTH_HEADROOM
      const EXTRA = 20;
      const held: net.Socket[] = [];
      const extra: { socket: net.Socket; text: string; closedAfterMs: number | null }[] = [];
      // Start from no open connection (keep-alive ones of earlier requests close after the server's keepAliveTimeout).
      for (let i = 0; i < 200; i++) {
        if ((await new Promise<number>((resolve) => server.getConnections((_e, c) => resolve(c)))) === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      try {
        for (let i = 0; i < CAP + HEADROOM; i++) {
          held.push(
            await new Promise<net.Socket>((resolve, reject) => {
              const s = net.connect(port, '127.0.0.1', () => resolve(s));
              s.on('error', reject);
            }),
          );
        }
        for (let i = 0; i < 100; i++) {
          const n = await new Promise<number>((resolve) => server.getConnections((_e, c) => resolve(c)));
          if (n >= CAP + HEADROOM) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        // Idle connections past cap + headroom: each must be closed at once, not held until it sends a request.
        const t0 = performance.now();
        await Promise.all(
          Array.from(
            { length: EXTRA },
            () =>
              new Promise<void>((resolve) => {
                const s = net.connect(port, '127.0.0.1');
                const entry = { socket: s, text: '', closedAfterMs: null as number | null };
                extra.push(entry);
                s.setEncoding('latin1');
                s.on('data', (c: string) => {
                  entry.text += c;
                });
                s.on('error', () => undefined);
                s.on('close', () => {
                  entry.closedAfterMs = performance.now() - t0;
                  resolve();
                });
                // Generous bound: "at once" on a busy 2-core machine; the unfixed guard holds them for headersTimeout (60 s).
                setTimeout(resolve, 5_000);
              }),
          ),
        );
        if (process.env.BEACON_TEST_VERBOSE)
          process.stderr.write(
            `past cap + headroom: ${EXTRA} idle connections closed within ${Math.max(...extra.map((e) => e.closedAfterMs ?? Infinity)).toFixed(0)} ms\n`,
          );
        expect(extra.filter((e) => e.closedAfterMs === null).length).toBe(0);
        for (const e of extra) {
          expect(e.text).toMatch(/^HTTP\/1\.1 503 /);
          expect(e.text.toLowerCase()).toContain('retry-after: 5');
          expect(e.text).toContain('limits.maxConnections = 8');
        }
        // The held connections are still open; one in the headroom answers a health probe.
        expect(held.every((s) => !s.destroyed)).toBe(true);
        const probe = held[held.length - 1]!;
        const reply = await new Promise<string>((resolve) => {
          let text = '';
          probe.setEncoding('latin1');
          probe.on('data', (c: string) => {
            text += c;
            if (/\r\n\r\n[\s\S]*\}/.test(text)) resolve(text);
          });
          probe.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        });
        expect(reply).toMatch(/^HTTP\/1\.1 200 /);
        // Once the held connections go, new ones are served again.
        for (const s of held.splice(0)) s.destroy();
        let live = 0;
        for (let i = 0; i < 50 && live !== 200; i++) {
          await new Promise((r) => setTimeout(r, 20));
          live = (await fetch(`${runner.baseUrl}/health/live`)).status;
        }
        expect(live).toBe(200);
      } finally {
        for (const s of held) s.destroy();
        for (const e of extra) e.socket.destroy();
      }
    });
  });
});

describe('review (issue 13.4, no read may delay the engine): API reads in progress are capped, 503 read_busy with Retry-After past the queue', () => {
  let runner: TestRunner;
  const CELLS = 1000;
  beforeAll(async () => {
    runner = await startTestRunner(limited({ maxConcurrentReads: 1, maxQueuedReads: 1 }));
    // One job of 1,000 answered cells of 8 KiB each: a page of all of them is an answer of about 8 MiB, more than the
    // loopback socket buffers hold for a client that does not read.
    const res = await postJob(
      runner.baseUrl,
      JSON.stringify({ id: 'big', questions: ['math_basic'], models: ['llama3.2-1b'], regions: ['us-east'], repeats: CELLS }),
    );
    expect(res.status).toBe(201);
    await runner.ds.query(
      `UPDATE executions SET state = 'succeeded', attempts = 1, result_attempt = 1, classification = 'answered',
              response = repeat('All the world is a stage. ', 315), started_at = now(), finished_at = now() WHERE job_id = 'big'`,
    );
  });
  afterAll(async () => {
    await runner?.close();
  });

  it('review: concurrent reads past one running and one waiting get 503 read_busy; health probes and streams are not gated', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => get(runner.baseUrl, '/api/v1/jobs/big')));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    const refused = answers.filter((a) => a.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.retryAfter).toBe('1');
      expect(JSON.parse(r.body)).toMatchObject({ error: 'read_busy', message: expect.stringContaining('limits.maxConcurrentReads') });
    }
    // Probes and a live-event stream pass while the gate is full.
    const stream = await get(runner.baseUrl, '/api/v1/events');
    try {
      expect(stream.status).toBe(200);
      const more = await Promise.all([
        get(runner.baseUrl, '/api/v1/jobs/big'),
        get(runner.baseUrl, '/api/v1/jobs/big'),
        get(runner.baseUrl, '/health/live'),
        get(runner.baseUrl, '/health/ready'),
      ]);
      expect(more.slice(2).map((a) => a.status)).toEqual([200, 200]);
    } finally {
      stream.close();
    }
  });

  it('review: a client that never reads its answer does not hold the read slot', async () => {
    const port = Number(new URL(runner.baseUrl).port);
    const stalled = net.connect(port, '127.0.0.1');
    let received = 0;
    try {
      await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
      stalled.write('GET /api/v1/executions?job=big&limit=1000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      // Read the first bytes only (the answer has begun), then stop reading.
      await new Promise<void>((resolve) =>
        stalled.once('data', (c: Buffer) => {
          received += c.length;
          stalled.pause();
          resolve();
        }),
      );
      await new Promise((r) => setTimeout(r, 200));
      // The daemon could not hand the whole answer to the socket...
      expect(received).toBeLessThan(CELLS * 8000);
      // ...and the next reads are served all the same, one at a time.
      for (let i = 0; i < 3; i++) expect((await get(runner.baseUrl, '/api/v1/jobs/big')).status).toBe(200);
    } finally {
      stalled.destroy();
    }
  });
});
