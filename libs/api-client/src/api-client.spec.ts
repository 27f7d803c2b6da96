import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ApiRequestError, ApiResponseError, BeaconApiClient } from './api-client.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A real HTTP server on loopback answering every request with `handler`. */
async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Writes `total` bytes of `byte` in 64 KiB chunks while the client reads; resolves with how many were written. */
function flood(res: http.ServerResponse, total: number, byte = 'x'): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, byte);
  let sent = 0;
  return new Promise((resolve) => {
    res.on('close', () => resolve(sent));
    const pump = (): void => {
      while (!res.destroyed && sent < total) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  });
}

const HEAD = {
  origin: 'beacon.example/log',
  treeSize: 3,
  rootHash: Buffer.alloc(32, 1).toString('base64'),
  keyId: 'log-1',
  checkpoint: 'beacon.example/log\n3\nAQEB\n\n— log-1 AAAA\n',
  signedAt: '2026-12-05T00:00:00.000Z',
  keys: [{ id: 'log-1', public_key: Buffer.alloc(32, 2).toString('base64') }],
};

const json =
  (body: unknown, status = 200) =>
  (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

describe(BeaconApiClient.name, () => {
  it('gives up on a daemon that accepts the request and never answers, after the idle timeout', async () => {
    const url = await serve(() => undefined);
    const client = new BeaconApiClient(url, null, { idleTimeoutMs: 300 });
    const started = Date.now();
    const err = await client.getJob('j').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiResponseError);
    expect((err as Error).message).toBe(`the Beacon API at ${url} gave a bad answer to /api/v1/jobs/j: nothing arrived for 0.3 s`);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('gives up on a body that stops half-way, but not on one that keeps arriving slowly', async () => {
    const url = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.startsWith('/api/v1/jobs/stops')) return void res.write('{"id":');
      // Slow but alive: a byte every 100 ms, longer in all than the idle timeout of 300 ms.
      const body = JSON.stringify({ id: 'slow', status: 'running' });
      let i = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        res.write(body[i++]!);
        if (i === body.length) {
          clearInterval(timer);
          res.end();
        }
      }, 100);
    });
    const client = new BeaconApiClient(url, null, { idleTimeoutMs: 300 });
    await expect(client.getJob('stops')).rejects.toThrow(/nothing arrived for 0\.3 s/);
    await expect(client.getJob('slow')).resolves.toEqual({ id: 'slow', status: 'running' });
  });

  it('stops reading a body past its bound (50 MB sent without a length) and says so; the server sees the client leave', async () => {
    let sent: Promise<number> = Promise.resolve(0);
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      sent = flood(res, 50 * 1024 * 1024);
    });
    const client = new BeaconApiClient(url, null, { maxBodyBytes: 1024 * 1024 });
    await expect(client.getJob('big')).rejects.toThrow(
      new ApiResponseError(url, '/api/v1/jobs/big', `its body passed ${1024 * 1024} bytes`),
    );
    // What the server managed to write before the client hung up: the bound plus what the socket buffers held.
    expect(await sent).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses a declared length past the bound before reading it', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(64 * 1024 * 1024) });
      res.write('{');
    });
    const client = new BeaconApiClient(url, null, { maxBodyBytes: 1024 * 1024, idleTimeoutMs: 30_000 });
    await expect(client.getJob('declared')).rejects.toThrow(/its body passed 1048576 bytes/);
  });

  it('a transparency head is bounded to 1 MiB whatever the client bound', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      void flood(res, 50 * 1024 * 1024, ' ');
    });
    await expect(new BeaconApiClient(url).getTransparencyHead()).rejects.toThrow(/its body passed 1048576 bytes/);
  });

  it('a success whose body is not JSON (NUL bytes, HTML) is a bad answer, not data', async () => {
    const nul = await serve(json('{"id":"a\u0000b"}'));
    await expect(new BeaconApiClient(nul).getJob('a')).rejects.toThrow(
      /HTTP 200 with a body that is not JSON: "\{\\"id\\":\\"a\\u0000b\\"\}"/,
    );
    const html = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Welcome to nginx!</body></html>');
    });
    await expect(new BeaconApiClient(html).listJobs()).rejects.toBeInstanceOf(ApiResponseError);
  });

  it('an error status with a body that is not JSON, or JSON that is not an object, is still the error with its status', async () => {
    for (const body of ['<h1>502 Bad Gateway</h1>', '[1,2]', 'null', '"text"']) {
      const url = await serve(json(body, 502));
      const err = await new BeaconApiClient(url).getJob('j').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiRequestError);
      expect({ status: (err as ApiRequestError).status, error: (err as ApiRequestError).body.error }).toEqual({
        status: 502,
        error: 'bad_response',
      });
    }
  });

  it('checks the shape of transparency answers and names the field that is wrong', async () => {
    const cases: [unknown, string][] = [
      [{ ...HEAD, keys: 'all of them' }, '$.keys: must be a list, not a string'],
      [{ ...HEAD, keys: [{ id: 'k', public_key: 'not base64!' }] }, '$.keys[0].public_key: must be base64'],
      [{ ...HEAD, treeSize: -1 }, '$.treeSize: must be >= 0'],
      [{ ...HEAD, checkpoint: 7 }, '$.checkpoint: must be a string, not a number'],
      [{ ...HEAD, keys: Array.from({ length: 65 }, () => HEAD.keys[0]) }, '$.keys: must have at most 64 entries'],
      [[HEAD], '$: must be an object, not a list'],
    ];
    for (const [body, problem] of cases) {
      const url = await serve(json(body));
      await expect(new BeaconApiClient(url).getTransparencyHead()).rejects.toThrow(
        new ApiResponseError(url, '/api/v1/transparency/head', problem),
      );
    }
    const proof = await serve(json({ from: 1, to: 2, proof: [HEAD.rootHash, { hash: 1 }] }));
    await expect(new BeaconApiClient(proof).getConsistencyProof(1, 2)).rejects.toThrow(/\$\.proof\[1\]: must be a string, not an object/);
  });

  it('passes a well-formed head through, fields it does not know included', async () => {
    const url = await serve(json({ ...HEAD, extra: { note: 'newer daemon' } }));
    expect(await new BeaconApiClient(url).getTransparencyHead()).toEqual({ ...HEAD, extra: { note: 'newer daemon' } });
  });
});
