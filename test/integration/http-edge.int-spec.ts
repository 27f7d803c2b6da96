import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defaultConfig } from '@beacon/domain';
import { postJob, rowCounts, startTestRunner, type TestRunner } from '../utils/runner-harness.js';
import { flushAudit, securedConfig } from '../utils/security.js';
import { closeAllFleets, Fleet } from '../utils/fleet.js';
import type { FailedAuthLimiter } from '../../apps/runner/src/auth/auth-limits.js';
import { FAILED_AUTH_LIMITER } from '../../apps/runner/src/auth/security.tokens.js';

/**
 * The daemon's HTTP edge, attacked as issue 13 describes: bodies cut short or over the limit, NUL bytes and other
 * hostile values in paths and queries, and cross-site or rebinding requests to a daemon without tokens.
 */

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/**
 * One request over a fresh connection with full control of headers and body chunks (fetch cannot send chunked bodies
 * of our choosing or a foreign Host). Resolves with the answer even when the server stops reading the body early.
 */
function raw(
  baseUrl: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; chunks?: Buffer[]; abortAfterChunks?: boolean } = {},
): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method,
      path,
      headers: opts.headers,
      agent: false,
      setHost: !opts.headers?.host,
    });
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
      res.on('error', reject);
    });
    // Writing on after the server answered may fail with EPIPE/ECONNRESET; the answer is what counts.
    req.on('error', (err) => (opts.abortAfterChunks ? resolve({ status: 0, headers: {}, body: String(err) }) : reject(err)));
    void (async () => {
      for (const c of opts.chunks ?? []) {
        if (req.destroyed) return;
        if (!req.write(c)) {
          await new Promise<void>((r) => {
            const go = () => {
              req.off('drain', go).off('close', go);
              r();
            };
            req.on('drain', go).on('close', go);
          });
        }
      }
      if (opts.abortAfterChunks) {
        await new Promise((r) => setTimeout(r, 50));
        req.destroy();
        return;
      }
      req.end();
    })();
  });
}

/** A body of `total` bytes in 64 KiB chunks (sent as Transfer-Encoding: chunked, no Content-Length). */
function chunksOf(total: number): Buffer[] {
  const out: Buffer[] = [];
  for (let left = total; left > 0; left -= 65_536) out.push(Buffer.alloc(Math.min(65_536, left), 'a'));
  return out;
}

async function auditRows(
  runner: TestRunner,
): Promise<
  { method: string; path: string; status: number; error: string | null; target_id: string | null; remote_address: string | null }[]
> {
  await flushAudit(runner.app);
  return runner.ds.query('SELECT method, path, status, error, target_id, remote_address FROM audit_log ORDER BY id');
}

async function live(runner: TestRunner): Promise<number> {
  const res = await fetch(`${runner.baseUrl}/health/live`);
  await res.text();
  return res.status;
}

/** What came back on a raw connection: the bytes, and whether the daemon closed it (rather than us, after `waitMs`). */
interface RawExchange {
  text: string;
  closedByServer: boolean;
}

/**
 * Writes `steps` on one raw connection (each after the answer to the previous step has arrived whole, so a step can be
 * a second request on a kept-alive connection), then collects everything until the daemon closes it or `waitMs` pass.
 */
function exchange(baseUrl: string, steps: string[], opts: { waitMs?: number; localAddress?: string } = {}): Promise<RawExchange> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = net.connect({ port: Number(url.port), host: url.hostname, localAddress: opts.localAddress });
    let text = '';
    let closedByServer = true;
    let step = 0;
    const timer = setTimeout(() => {
      closedByServer = false;
      socket.destroy();
    }, opts.waitMs ?? 10_000);
    const next = () => {
      if (step < steps.length) socket.write(steps[step++]!);
    };
    socket.on('connect', next);
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => {
      text += c;
      // One more answer complete (headers and a Content-Length body): send the next step.
      const answers = [...text.matchAll(/content-length: (\d+)\r\n(?:.*\r\n)*?\r\n/gi)];
      const last = answers[answers.length - 1];
      if (answers.length === step && last && text.length >= last.index + last[0].length + Number(last[1])) next();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedByServer });
    });
  });
}

/** The status and JSON body of each HTTP answer in `text`. */
function answersIn(text: string): { status: number; body: any }[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) [^\r]*\r\n(?:.*\r\n)*?\r\n/g)].map((m) => {
    const rest = text.slice(m.index + m[0].length);
    const len = Number(/content-length: (\d+)/i.exec(m[0])?.[1] ?? 0);
    let body: unknown = rest.slice(0, len);
    try {
      body = JSON.parse(body as string);
    } catch {
      /* not JSON */
    }
    return { status: Number(m[1]), body };
  });
}

const matrix = JSON.stringify({ id: 'edge-job', questions: ['math_basic'], models: ['llama3.2-1b'], regions: ['us-east'] });

describe('HTTP edge', () => {
  describe('daemon without tokens', () => {
    let runner: TestRunner;
    beforeAll(async () => {
      runner = await startTestRunner();
      expect((await postJob(runner.baseUrl, matrix)).status).toBe(201);
    });
    afterAll(async () => {
      await runner?.close();
    });

    it('defect 13.1: a chunked over-limit body gets 413, does not kill the daemon and is audited', async () => {
      const before = (await auditRows(runner)).length;
      const limit = defaultConfig().limits.maxBodyBytes;
      const answer = await raw(runner.baseUrl, 'POST', '/api/v1/jobs', {
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        chunks: chunksOf(limit + 51_424),
      });
      expect(answer.status).toBe(413);
      expect(answer.body.error).toBe('body_too_large');
      // The daemon is alive, and keeps answering.
      await new Promise((r) => setTimeout(r, 100));
      expect(await live(runner)).toBe(200);
      const rows = (await auditRows(runner)).slice(before);
      expect(rows).toEqual([
        expect.objectContaining({
          method: 'POST',
          path: '/api/v1/jobs',
          status: 413,
          error: 'body_too_large',
          remote_address: '127.0.0.1',
        }),
      ]);
    });

    it('defect 13.1: bodies cut short (declared length or chunked) are audited with the peer address, and the daemon lives', async () => {
      const before = (await auditRows(runner)).length;
      // The client gives up half-way through a declared body: recorded as 499 (client left) with its address.
      await raw(runner.baseUrl, 'POST', '/api/v1/jobs', {
        headers: { 'content-type': 'application/json', 'content-length': '100000' },
        chunks: [Buffer.alloc(5000, 'a')],
        abortAfterChunks: true,
      });
      // A chunked body cut off mid-stream.
      await raw(runner.baseUrl, 'POST', '/api/v1/jobs', {
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        chunks: chunksOf(2_000_000),
        abortAfterChunks: true,
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(await live(runner)).toBe(200);
      const rows = (await auditRows(runner)).slice(before);
      expect(rows).toHaveLength(2);
      for (const r of rows) expect(r).toMatchObject({ method: 'POST', path: '/api/v1/jobs', remote_address: '127.0.0.1' });
      // 499: the client was gone before the answer; 400 body_incomplete: answered on the half-closed connection;
      // 413: the chunked one passed the limit before it was cut.
      for (const r of rows)
        expect([
          [400, 'body_incomplete'],
          [413, 'body_too_large'],
          [499, null],
        ]).toContainEqual([r.status, r.error]);
      expect(await rowCounts(runner.ds)).toEqual({ jobs: 1, executions: 1 });
    });

    it('defect 13.1: a request the HTTP parser refuses (Transfer-Encoding it cannot frame) gets a JSON 400 and is audited', async () => {
      const before = (await auditRows(runner)).length;
      for (const te of ['gzip', 'chunked, gzip']) {
        const res = await raw(runner.baseUrl, 'POST', '/api/v1/jobs', {
          headers: { 'content-type': 'application/json', 'transfer-encoding': te },
          chunks: [Buffer.from('{}')],
        });
        expect({ te, status: res.status, error: res.body?.error }).toEqual({ te, status: 400, error: 'malformed_request' });
      }
      expect(await live(runner)).toBe(200);
      const rows = (await auditRows(runner)).slice(before);
      expect(rows).toEqual(
        [0, 1].map(() =>
          expect.objectContaining({
            method: 'POST',
            path: '/api/v1/jobs',
            status: 400,
            error: 'malformed_request',
            remote_address: '127.0.0.1',
          }),
        ),
      );
    });

    it('defect 13.5: a path parameter that cannot be decoded (%zz) gets 400 and is audited', async () => {
      const before = (await auditRows(runner)).length;
      const res = await raw(runner.baseUrl, 'POST', '/api/v1/jobs/%zz/cancel', { headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        error: 'invalid_parameter',
        problems: [{ path: 'id', message: expect.stringMatching(/percent-encoded/) }],
      });
      for (const path of ['/api/v1/executions/%c3%28', '/api/v1/jobs/%ed%a0%80/timeline', '/api/v1/jobs/%']) {
        const get = await raw(runner.baseUrl, 'GET', path);
        expect({ path, status: get.status, names: get.body.problems?.map((p: { path: string }) => p.path) }).toEqual({
          path,
          status: 400,
          names: ['id'],
        });
      }
      expect((await auditRows(runner)).slice(before)).toEqual([
        expect.objectContaining({ method: 'POST', path: '/api/v1/jobs/%zz/cancel', status: 400 }),
      ]);
    });

    it('defect 13.5: HEAD on the live-event stream answers at once instead of holding the connection', async () => {
      const res = await raw(runner.baseUrl, 'HEAD', '/api/v1/events');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toContain('text/event-stream');
    }, 10_000);

    it('defect 13.5: NUL and control characters in paths and queries get 400 naming the parameter', async () => {
      const cases: [string, string][] = [
        ['/api/v1/jobs/%00', 'id'],
        ['/api/v1/jobs/a%00b/analysis', 'id'],
        ['/api/v1/jobs/%00/timeline', 'id'],
        ['/api/v1/jobs/edge%1bjob/timeline', 'id'],
        [`/api/v1/jobs/${'x'.repeat(600)}`, 'id'],
        ['/api/v1/executions/%00', 'id'],
        ['/api/v1/executions?job=%00', 'job'],
        ['/api/v1/executions?region=%00', 'region'],
        ['/api/v1/executions?model=a%00', 'model'],
        ['/api/v1/executions?question=%07', 'question'],
        ['/api/v1/executions?state=%00', 'state'],
        ['/api/v1/executions?cursor=%00', 'cursor'],
        ['/api/v1/findings?job=%00', 'job'],
        ['/api/v1/findings?rule=%00', 'rule'],
        ['/api/v1/findings?severity=%00', 'severity'],
        ['/api/v1/findings?state=%00', 'state'],
        ['/api/v1/jobs?cursor=%00', 'cursor'],
        ['/api/v1/jobs?limit=%00', 'limit'],
        ['/api/v1/jobs/edge-job/timeline?region=%00', 'region'],
        ['/api/v1/jobs/edge-job/timeline?cursor=%00', 'cursor'],
        ['/api/v1/diff?a=%00&b=1', 'a'],
        ['/api/v1/events?job=%00', 'job'],
        ['/api/v1/events?kind=attempt&region=a%00', 'region'],
      ];
      for (const [path, param] of cases) {
        const res = await fetch(runner.baseUrl + path);
        const body = (await res.json()) as any;
        expect({ path, status: res.status, error: body.error }).toEqual({ path, status: 400, error: 'invalid_parameter' });
        expect({ path, names: body.problems.map((p: { path: string }) => p.path) }).toEqual({ path, names: [param] });
        expect(body.message).toContain(param);
      }
    });

    it('defect 13.5: huge timeline cursors and out-of-range integers get 400, not 500', async () => {
      const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const cases = [
        `/api/v1/jobs/edge-job/timeline?cursor=${cursor(['us-east', 'llama3.2-1b', 'math_basic', 1e300, '1'])}`,
        `/api/v1/jobs/edge-job/timeline?cursor=${cursor(['us-east', 'llama3.2-1b', 'math_basic', 2 ** 40, '1'])}`,
        `/api/v1/jobs/edge-job/timeline?cursor=${cursor(['us\u0000east', 'llama3.2-1b', 'math_basic', 1, '1'])}`,
        `/api/v1/jobs/edge-job/timeline?cursor=${cursor(['us-east', 'llama3.2-1b', 'math_basic', -1, '1'])}`,
        `/api/v1/jobs/edge-job/timeline?cursor=${cursor(['us-east', 'llama3.2-1b', 'math_basic', 1, '9999999999999999999'])}`,
        '/api/v1/executions/99999999999999999999999',
        '/api/v1/executions?cursor=99999999999999999999',
        '/api/v1/jobs?limit=1e400',
        '/api/v1/diff?a=a:999999999999999999&b=e:99999999999999999999',
      ];
      for (const path of cases) {
        const res = await fetch(runner.baseUrl + path);
        const body = (await res.json()) as any;
        expect({ path, status: res.status }).toEqual({ path, status: path.includes('/diff') ? 404 : 400 });
        expect(typeof body.message).toBe('string');
      }
    });

    it('defect 13.5: a repeated or bracketed parameter is refused, not silently dropped', async () => {
      for (const [path, param] of [
        ['/api/v1/executions?job[]=edge-job', 'job[]'],
        ['/api/v1/executions?job=edge-job&job=other', 'job'],
        ['/api/v1/findings?state=open&state=all', 'state'],
        ['/api/v1/jobs?limit=1&limit=2', 'limit'],
        ['/api/v1/jobs/edge-job/timeline?limit=5&limit=6', 'limit'],
        ['/api/v1/diff?a=1&a=2&b=3', 'a'],
        ['/api/v1/executions?jbo=edge-job', 'jbo'],
        ['/api/v1/events?job[x]=edge-job', 'job[x]'],
      ] as const) {
        const res = await fetch(runner.baseUrl + path);
        const body = (await res.json()) as any;
        expect({ path, status: res.status, names: body.problems?.map((p: { path: string }) => p.path) }).toEqual({
          path,
          status: 400,
          names: [param],
        });
      }
      // Repeating an events filter is its documented way to give several values.
      const ctl = new AbortController();
      const ok = await fetch(`${runner.baseUrl}/api/v1/events?job=edge-job&region=us-east&region=eu-west`, { signal: ctl.signal });
      expect(ok.status).toBe(200);
      ctl.abort();
    });

    it('defect 13.5: POST /api/v1/jobs/%00/cancel gets 400 and is audited', async () => {
      const before = (await auditRows(runner)).length;
      const res = await raw(runner.baseUrl, 'POST', '/api/v1/jobs/%00/cancel', { headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(res.body.problems).toEqual([expect.objectContaining({ path: 'id' })]);
      const rows = (await auditRows(runner)).slice(before);
      expect(rows).toEqual([
        expect.objectContaining({ method: 'POST', path: '/api/v1/jobs/%00/cancel', status: 400, error: 'invalid_parameter' }),
      ]);
      expect(rows[0]!.target_id ?? '').not.toContain('\u0000');
    });

    it('review 6: garbage pipelined after a complete cancel leaves the cancel its own outcome, in the answer and the audit', async () => {
      expect((await postJob(runner.baseUrl, matrix.replace('edge-job', 'edge-pipelined'))).status).toBe(201);
      const before = (await auditRows(runner)).length;
      // One packet: a complete request (no body) and garbage after it; the parser fails on the garbage while the
      // cancel is being handled.
      const out = await exchange(runner.baseUrl, [
        'POST /api/v1/jobs/edge-pipelined/cancel HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\nGARBAGE\r\n\r\n',
      ]);
      const answers = answersIn(out.text);
      expect(answers.map((a) => [a.status, a.body?.error ?? null])).toEqual([[200, null]]);
      expect(answers[0]!.body).toMatchObject({
        id: 'edge-pipelined',
        status: expect.stringMatching(/^(cancelled|cancelling|succeeded|failed|partial)$/),
      });
      // The connection is closed after the answer (what followed the request could not be read).
      expect(out.closedByServer).toBe(true);
      const [job] = await runner.ds.query(`SELECT status FROM jobs WHERE id = 'edge-pipelined'`);
      if (!answers[0]!.body.alreadyFinished) expect(['cancelled', 'cancelling']).toContain(job.status);
      const rows = (await auditRows(runner)).slice(before);
      expect(rows).toEqual([
        expect.objectContaining({ method: 'POST', path: '/api/v1/jobs/edge-pipelined/cancel', status: 200, error: null }),
      ]);
    });

    it('review 15: a malformed request on a kept-alive connection that already answered one is answered 400 and audited', async () => {
      const before = (await auditRows(runner)).length;
      const out = await exchange(runner.baseUrl, [
        'GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
        'POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n{}',
      ]);
      expect(answersIn(out.text).map((a) => [a.status, a.body?.error ?? null])).toEqual([
        [200, null],
        [400, 'malformed_request'],
      ]);
      expect(out.closedByServer).toBe(true);
      // The request reached the application (its headers were read) and is audited when its connection has closed.
      let rows = (await auditRows(runner)).slice(before);
      for (let i = 0; i < 50 && rows.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        rows = (await auditRows(runner)).slice(before);
      }
      expect(rows).toEqual([
        expect.objectContaining({
          method: 'POST',
          path: '/api/v1/jobs',
          status: 400,
          error: 'malformed_request',
          remote_address: '127.0.0.1',
        }),
      ]);
    });

    it('review 18: the analysis and cancel routes refuse query parameters they do not take, like every other route', async () => {
      const before = (await auditRows(runner)).length;
      for (const [path, name] of [
        ['/api/v1/jobs/edge-job/analysis?x=1', 'x'],
        ['/api/v1/jobs/edge-job/analysis?refresh[]=1', 'refresh[]'],
        ['/api/v1/jobs/edge-job/analysis?a%00b=1', 'a\\u0000b'],
      ] as const) {
        const res = await raw(runner.baseUrl, 'GET', path);
        expect({ path, status: res.status, error: res.body.error, names: res.body.problems?.map((p: { path: string }) => p.path) }).toEqual(
          { path, status: 400, error: 'invalid_parameter', names: [name] },
        );
      }
      const cancel = await raw(runner.baseUrl, 'POST', '/api/v1/jobs/edge-job/cancel?force=1', {
        headers: { 'content-type': 'application/json' },
      });
      expect({
        status: cancel.status,
        error: cancel.body.error,
        names: cancel.body.problems?.map((p: { path: string }) => p.path),
      }).toEqual({ status: 400, error: 'invalid_parameter', names: ['force'] });
      const [job] = await runner.ds.query(`SELECT status FROM jobs WHERE id = 'edge-job'`);
      expect(job.status).not.toBe('cancelled');
      expect((await auditRows(runner)).slice(before)).toEqual([
        expect.objectContaining({ method: 'POST', path: '/api/v1/jobs/edge-job/cancel', status: 400, error: 'invalid_parameter' }),
      ]);
    });

    it('defect 13.5: a JSON body in a charset other than UTF-8 is refused with 415', async () => {
      for (const type of ['application/json; charset=utf-16', 'application/json;charset="UTF-16LE"', 'application/json; charset=latin1']) {
        const before = await rowCounts(runner.ds);
        const res = await postJob(runner.baseUrl, matrix.replace('edge-job', 'edge-utf16'), type);
        expect({ type, status: res.status, error: res.body.error }).toEqual({ type, status: 415, error: 'unsupported_charset' });
        expect(res.body.message).toMatch(/utf-8/i);
        expect(await rowCounts(runner.ds)).toEqual(before);
      }
      expect((await postJob(runner.baseUrl, matrix.replace('edge-job', 'edge-utf8'), 'application/json; charset=UTF-8')).status).toBe(201);
    });

    it('defect 13.9: state-changing requests that are not JSON (cross-site simple requests) are refused and audited', async () => {
      const before = (await auditRows(runner)).length;
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
        const headers: Record<string, string> = type ? { 'content-type': type } : {};
        const res = await raw(runner.baseUrl, 'POST', '/api/v1/jobs/edge-job/cancel', { headers, chunks: [Buffer.from('{}')] });
        expect({ type, status: res.status, error: res.body.error }).toEqual({ type, status: 400, error: 'invalid_content_type' });
      }
      const [job] = await runner.ds.query(`SELECT status FROM jobs WHERE id = 'edge-job'`);
      expect(job.status).not.toBe('cancelled');
      const rows = (await auditRows(runner)).slice(before);
      expect(rows.map((r) => [r.status, r.error])).toEqual(Array(4).fill([400, 'invalid_content_type']));
    });

    it("defect 13.9: a foreign Origin is refused; the daemon's own origin is not", async () => {
      const port = new URL(runner.baseUrl).port;
      for (const origin of [
        'http://attacker.example',
        'null',
        `http://127.0.0.1:${Number(port) + 1}`,
        'https://127.0.0.1.attacker.example',
      ]) {
        const post = await raw(runner.baseUrl, 'POST', '/api/v1/jobs/edge-job/cancel', {
          headers: { 'content-type': 'application/json', origin },
        });
        expect({ origin, status: post.status, error: post.body.error }).toEqual({ origin, status: 403, error: 'foreign_origin' });
        const get = await raw(runner.baseUrl, 'GET', '/api/v1/jobs', { headers: { origin } });
        expect({ origin, status: get.status }).toEqual({ origin, status: 403 });
      }
      const own = await raw(runner.baseUrl, 'GET', '/api/v1/jobs', { headers: { origin: `http://127.0.0.1:${port}` } });
      expect(own.status).toBe(200);
      const [job] = await runner.ds.query(`SELECT status FROM jobs WHERE id = 'edge-job'`);
      expect(job.status).not.toBe('cancelled');
      const rows = (await auditRows(runner)).filter((r) => r.error === 'foreign_origin');
      expect(rows).toHaveLength(4);
    });

    it('defect 13.9: an unknown Host name (DNS rebinding) is refused; loopback names are served', async () => {
      const port = new URL(runner.baseUrl).port;
      for (const host of ['attacker.example', `attacker.example:${port}`, `127.0.0.1.nip.io:${port}`, 'localhost.attacker.example']) {
        const get = await raw(runner.baseUrl, 'GET', '/api/v1/jobs', { headers: { host } });
        expect({ host, status: get.status, error: get.body.error }).toEqual({ host, status: 421, error: 'unknown_host' });
        const post = await raw(runner.baseUrl, 'POST', '/api/v1/jobs/edge-job/cancel', {
          headers: { host, 'content-type': 'application/json' },
        });
        expect({ host, status: post.status }).toEqual({ host, status: 421 });
      }
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`]) {
        expect({ host, status: (await raw(runner.baseUrl, 'GET', '/api/v1/jobs', { headers: { host } })).status }).toEqual({
          host,
          status: 200,
        });
      }
      const [job] = await runner.ds.query(`SELECT status FROM jobs WHERE id = 'edge-job'`);
      expect(job.status).not.toBe('cancelled');
      expect((await auditRows(runner)).filter((r) => r.error === 'unknown_host')).toHaveLength(4);
    });
  });

  describe('a flood of edge refusals', () => {
    let runner: TestRunner;
    beforeAll(async () => {
      runner = await startTestRunner();
    });
    afterAll(async () => {
      await runner?.close();
    });

    it('review 7: refusals before authentication cost the address its failure allowance and a flood of them writes few audit rows', async () => {
      const FROM = '127.0.0.7';
      const port = new URL(runner.baseUrl).port;
      const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      // Every kind of refusal that happens before a token is looked at, each answered as always.
      const kinds: { name: string; expect: [number, string]; send: () => Promise<number | undefined> }[] = [
        {
          name: 'host',
          expect: [421, 'unknown_host'],
          send: () => post('/api/v1/jobs/x/cancel', { host: 'attacker.example', 'content-type': 'application/json' }),
        },
        {
          name: 'origin',
          expect: [403, 'foreign_origin'],
          send: () => post('/api/v1/jobs/x/cancel', { origin: 'http://attacker.example', 'content-type': 'application/json' }),
        },
        {
          name: 'type',
          expect: [400, 'invalid_content_type'],
          send: () => post('/api/v1/jobs/x/cancel', { 'content-type': 'text/plain' }),
        },
        { name: 'route', expect: [404, 'not_found'], send: () => post('/api/v1/no-such-route', { 'content-type': 'application/json' }) },
        {
          name: 'parser',
          expect: [400, 'malformed_request'],
          send: async () =>
            answersIn(
              (
                await exchange(
                  runner.baseUrl,
                  [
                    `POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n{}`,
                  ],
                  { localAddress: FROM },
                )
              ).text,
            )[0]?.status,
        },
      ];
      const wrong: string[] = [];
      function post(path: string, headers: Record<string, string>): Promise<number | undefined> {
        const expected = kinds.find(
          (k) =>
            k.send.toString().includes(path) &&
            (headers.host
              ? k.name === 'host'
              : headers.origin
                ? k.name === 'origin'
                : headers['content-type'] === 'text/plain'
                  ? k.name === 'type'
                  : k.name === 'route'),
        )!.expect;
        return new Promise((resolve) => {
          const req = http.request(
            { host: '127.0.0.1', port, method: 'POST', path, headers: { ...headers, 'content-length': '2' }, agent, localAddress: FROM },
            (res) => {
              let text = '';
              res.setEncoding('utf8');
              res.on('data', (c: string) => {
                text += c;
              });
              res.on('end', () => {
                const error = (JSON.parse(text) as { error?: string }).error;
                if (res.statusCode !== expected[0] || error !== expected[1])
                  wrong.push(`${res.statusCode} ${error} for ${JSON.stringify(headers)}`);
                resolve(res.statusCode);
              });
            },
          );
          req.on('error', () => resolve(undefined));
          req.end('{}');
        });
      }
      const t0 = Date.now();
      const PER_KIND = 60;
      const statuses: (number | undefined)[] = [];
      for (let round = 0; round < PER_KIND; round += 4) {
        statuses.push(...(await Promise.all(kinds.flatMap((k) => Array.from({ length: 4 }, () => k.send())))));
      }
      const seconds = (Date.now() - t0) / 1000;
      agent.destroy();
      const sent = statuses.length;
      expect(sent).toBe(kinds.length * PER_KIND);
      // Every refusal still gets its own answer.
      expect(wrong).toEqual([]);
      expect(statuses.filter((s, i) => s !== kinds[Math.floor((i % (kinds.length * 4)) / 4)]!.expect[0])).toEqual([]);
      await flushAudit(runner.app);
      const [audit] = await runner.ds.query(
        'SELECT count(*)::int AS rows, sum(occurrences)::int AS requests FROM audit_log WHERE remote_address = $1',
        [FROM],
      );
      if (process.env.BEACON_TEST_VERBOSE)
        process.stderr.write(`edge refusal flood: ${sent} requests in ${seconds} s, ${audit.rows} audit rows for ${audit.requests}\n`);
      // Every request is accounted for...
      expect(audit.requests).toBe(sent);
      // ...in the allowance's rows one by one (30 a minute by default), the rest summed per error code and 5 s.
      expect(audit.rows).toBeLessThanOrEqual(30 + kinds.length * (Math.ceil(seconds / 5) + 1));
      const byError: { error: string; n: number }[] = await runner.ds.query(
        'SELECT error, sum(occurrences)::int AS n FROM audit_log WHERE remote_address = $1 GROUP BY error ORDER BY error',
        [FROM],
      );
      expect(byError).toEqual(kinds.map((k) => ({ error: k.expect[1], n: PER_KIND })).sort((a, b) => a.error.localeCompare(b.error)));
      // The address has spent its failure allowance (a guessed token from it would now get 429 unhashed).
      expect(await runner.app.get<FailedAuthLimiter>(FAILED_AUTH_LIMITER).attempt(FROM)).toMatchObject({ allowed: false });
      // Other addresses are not affected.
      expect(await runner.app.get<FailedAuthLimiter>(FAILED_AUTH_LIMITER).attempt('127.0.0.8')).toEqual({ allowed: true });
      expect(await live(runner)).toBe(200);
    });
  });

  describe('daemon with tokens', () => {
    let runner: TestRunner;
    beforeAll(async () => {
      runner = await startTestRunner(securedConfig());
    });
    afterAll(async () => {
      await runner?.close();
    });

    it('defect 13.1: a chunked over-limit body without a token gets 401, does not kill the daemon and is audited', async () => {
      const limit = defaultConfig().limits.maxBodyBytes;
      const answer = await raw(runner.baseUrl, 'POST', '/api/v1/jobs', {
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        chunks: chunksOf(limit + 51_424),
      });
      expect(answer.status).toBe(401);
      await new Promise((r) => setTimeout(r, 100));
      expect(await live(runner)).toBe(200);
      expect(await auditRows(runner)).toEqual([
        expect.objectContaining({ method: 'POST', path: '/api/v1/jobs', status: 401, remote_address: '127.0.0.1' }),
      ]);
    });

    it('defect 13.9: with tokens, unknown Host names and foreign Origins are still refused', async () => {
      expect((await raw(runner.baseUrl, 'GET', '/api/v1/jobs', { headers: { host: 'attacker.example' } })).status).toBe(421);
      expect((await raw(runner.baseUrl, 'GET', '/api/v1/jobs', { headers: { origin: 'http://attacker.example' } })).status).toBe(403);
    });
  });

  describe('configured hosts and origins', () => {
    let runner: TestRunner;
    beforeAll(async () => {
      runner = await startTestRunner({
        ...defaultConfig(),
        server: { allowedHosts: ['beacon.internal'], allowedOrigins: ['https://ops.example'] },
      });
    });
    afterAll(async () => {
      await runner?.close();
    });

    it('serves server.allowedHosts and server.allowedOrigins', async () => {
      expect((await raw(runner.baseUrl, 'GET', '/api/v1/jobs', { headers: { host: 'beacon.internal:8787' } })).status).toBe(200);
      expect(
        (await raw(runner.baseUrl, 'GET', '/api/v1/jobs', { headers: { host: 'beacon.internal', origin: 'https://ops.example' } })).status,
      ).toBe(200);
      expect((await raw(runner.baseUrl, 'GET', '/api/v1/jobs', { headers: { host: 'other.internal' } })).status).toBe(421);
    });
  });
  describe('beacon serve', () => {
    afterAll(closeAllFleets);

    it("defect 13.1: the issue's curl (1,100,000 bytes, chunked) gets 413 from a beacon serve daemon, which stays up and audits it", async () => {
      const fleet = await Fleet.create({ prefix: 'edge', models: ['llama3.2-1b'], regions: { 'us-east': {} } });
      try {
        const daemon = await fleet.startDaemon();
        const answer = await raw(daemon.url, 'POST', '/api/v1/jobs', {
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
          chunks: chunksOf(1_100_000),
        });
        expect(answer.status).toBe(413);
        await new Promise((r) => setTimeout(r, 300));
        expect(daemon.proc.exitCode).toBeNull();
        const res = await fetch(`${daemon.url}/health/live`);
        expect(res.status).toBe(200);
        expect(daemon.output()).not.toMatch(/TypeError|remoteAddress/);
        // The daemon writes audit rows just after answering.
        let rows: unknown[] = [];
        for (let i = 0; i < 50 && rows.length === 0; i++) {
          rows = await fleet.db.ds.query(`SELECT method, path, status, error, remote_address FROM audit_log WHERE path = '/api/v1/jobs'`);
          if (rows.length === 0) await new Promise((r) => setTimeout(r, 100));
        }
        expect(rows).toEqual([
          expect.objectContaining({ method: 'POST', status: 413, error: 'body_too_large', remote_address: '127.0.0.1' }),
        ]);
      } finally {
        await fleet.close();
      }
    });
  });
});
