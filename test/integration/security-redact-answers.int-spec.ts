import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { ANALYSIS_DEFAULTS, defaultConfig, secrets } from '@beacon/domain';
import { engineOptions } from '@beacon/engine';
import { startSimulator, type RunningSimulator } from '@beacon/simulator';
import { createRunnerApp } from '@beacon/runner';
import { AnalysisService } from '../../apps/runner/src/analysis/analysis.service.js';
import { migratedDatabase, postJob, type TestDatabase } from '../utils/runner-harness.js';

const demoSpec = JSON.parse(await readFile(new URL('../../examples/bias-detection-8x3x3.json', import.meta.url), 'utf8'));
const TERMINAL = new Set(['completed', 'partially_completed', 'failed', 'cancelled']);
const MAX_TEXT = 200;

/**
 * API answers built from rows that hold a secret unredacted (as written by an earlier version, or before the secret was
 * registered): the analysis is redacted in its worker before it is cached, and no answer lets a client test guesses of
 * what was hidden.
 */
describe('review: secrets in API answers', () => {
  // A credential shape (hidden without registration) and a registered value without any shape.
  const key = `sk-proj-${randomUUID().replace(/-/g, '')}`;
  const registered = `zq-registered-${randomUUID()}`;
  let db: TestDatabase;
  let sim: RunningSimulator;
  let app: INestApplication;
  let baseUrl: string;
  const jobId = `redact-answers-${randomUUID()}`;
  let keyOnly: string;
  let cut: string;

  beforeAll(async () => {
    db = await migratedDatabase('redact_answers');
    sim = await startSimulator({ port: 0, seed: 7, latencyScale: 0.02 });
    const config = defaultConfig();
    for (const r of Object.values(config.regions)) r.baseUrl = sim.baseUrlFor(r.id);
    config.analysis = { ...ANALYSIS_DEFAULTS, maxTextChars: MAX_TEXT };
    secrets.add(registered);
    app = await createRunnerApp({
      dataSource: db.ds,
      config,
      logger: false,
      engine: engineOptions({ runnerId: 'redact-answers', config, leaseMs: 10_000, pollMs: 50, rollupMs: 100 }),
    });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    expect((await postJob(baseUrl, JSON.stringify({ ...demoSpec, id: jobId }))).status).toBe(201);
    for (;;) {
      const job = (await (await fetch(`${baseUrl}/api/v1/jobs/${jobId}`)).json()) as { status: string };
      if (TERMINAL.has(job.status)) break;
      await new Promise((r) => setTimeout(r, 50)); // poll interval, not a wait for an outcome
    }
    // Rows as an earlier version stored them: answers echoing the key and the registered value, one holding only the
    // key, and one whose registered value is cut by the analysis's text limit (its first 12 characters are kept).
    const answered: { id: string }[] = await db.ds.query(
      `SELECT id::text AS id FROM executions WHERE job_id = $1 AND response IS NOT NULL AND classification IS NOT NULL ORDER BY id`,
      [jobId],
    );
    expect(answered.length).toBeGreaterThan(10);
    [keyOnly, cut] = [answered[0]!.id, answered[1]!.id];
    await db.ds.query(`UPDATE executions SET response = left(response, 100) || $2 WHERE job_id = $1 AND id > $3::bigint`, [
      jobId,
      ` (echo: Bearer ${key}; ${registered})`,
      cut,
    ]);
    await db.ds.query('UPDATE executions SET response = $2 WHERE id = $1', [
      keyOnly,
      `The upstream said: Incorrect API key provided: Bearer ${key}.`,
    ]);
    await db.ds.query('UPDATE executions SET response = $2 WHERE id = $1', [cut, `${'y'.repeat(MAX_TEXT - 12)}${registered}`]);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await sim?.close();
    await db?.close();
  });

  it('review: the analysis is redacted in its worker before it is cached (also a value cut by the text limit), and sent as cached', async () => {
    const service = app.get(AnalysisService);
    let answer: Awaited<ReturnType<AnalysisService['get']>> | null = null;
    for (let i = 0; !answer; i++) {
      try {
        answer = await service.get(jobId);
      } catch (err) {
        if (i > 60 || (err as { status?: number }).status !== 503) throw err;
        await new Promise((r) => setTimeout(r, 500)); // asked to come back while it is computed
      }
    }
    const cached = answer.json.toString('utf8');
    expect(cached).toContain('Bearer [REDACTED]');
    for (const secret of [key, registered, registered.slice(0, 12)]) expect(cached).not.toContain(secret);
    const res = await fetch(`${baseUrl}/api/v1/jobs/${jobId}/analysis`);
    expect([res.status, res.headers.get('x-beacon-analysis-cache')]).toEqual([200, 'hit']);
    expect(await res.text()).toBe(cached);
  });

  it('review: an answer the middleware redacts carries no ETag, and If-None-Match cannot test a guess of the hidden value', async () => {
    const res = await fetch(`${baseUrl}/api/v1/executions/${keyOnly}`);
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(body.split('[REDACTED]')).toHaveLength(2);
    expect(body).not.toContain(key);
    expect(res.headers.get('etag')).toBeNull();
    // The ETag Express would compute on the body as the controller wrote it (before the secret was hidden).
    const unredacted = body.replace('[REDACTED]', key);
    const hash = createHash('sha1').update(unredacted, 'utf8').digest('base64').slice(0, 27);
    const guess = `W/"${Buffer.byteLength(unredacted).toString(16)}-${hash}"`;
    // node:http, because fetch adds `cache-control: no-cache` to a conditional request, which Express never answers 304.
    const probe = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${baseUrl}/api/v1/executions/${keyOnly}`, { headers: { 'if-none-match': guess } }, resolve).on('error', reject);
    });
    let text = '';
    for await (const chunk of probe) text += String(chunk);
    expect([probe.statusCode, probe.headers.etag, text]).toEqual([200, undefined, body]);
  });
});
