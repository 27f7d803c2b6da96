import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiRequestError, BeaconApiClient } from '@beacon/api-client';
import { classifyResponse } from '@beacon/classifier';
import { LegacyImportRepository } from '@beacon/db';
import { legacyImportRows, parseLegacyDocument, type TimelineLaneView } from '@beacon/domain';
import { repoRoot } from '../utils/cli.js';
import { closeAllFleets, Fleet, jobSpec } from '../utils/fleet.js';

afterAll(closeAllFleets);

const INCIDENT = 'full-test-3regions-2questions-1759245237';

describe('GET /api/v1/jobs/:id/timeline and GET /api/v1/diff', () => {
  let fleet: Fleet;
  let client: BeaconApiClient;
  let jobId: string;

  beforeAll(async () => {
    fleet = await Fleet.create({ prefix: 'timeline' });
    const runner = await fleet.startInProcess();
    client = new BeaconApiClient(runner.url);
    const doc = parseLegacyDocument(JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/incident-2025-09-30.json'), 'utf8')));
    await new LegacyImportRepository(fleet.ds, classifyResponse).store(legacyImportRows(doc));
    jobId = (await fleet.submit(jobSpec('timeline-a', 3, ['llama3.2-1b', 'mistral-7b'], ['us-east', 'eu-west']))).id;
    await fleet.waitForJob(jobId, 30_000);
  });
  afterAll(async () => fleet?.close());

  it('shows the imported incident: the duplicate cell, its 3 min 23 s gap, the out-of-spec work', async () => {
    const t = await client.getTimeline(INCIDENT);
    expect(t.totalLanes).toBe(10);
    expect(t.lanes).toHaveLength(10);
    expect(t.from).toBe('2025-09-30T15:15:05.112Z');
    expect(t.to).toBe('2025-09-30T15:18:32.008Z');
    const byLegacy = new Map(t.lanes.map((l) => [l.legacyId, l]));
    const l953 = byLegacy.get('953')!;
    const l955 = byLegacy.get('955')!;
    expect(l953.duplicateOf).toEqual([l955.executionId]);
    expect(l955.duplicateOf).toEqual([l953.executionId]);
    expect(l953.cellKey).toBe(l955.cellKey);
    expect(l953.marks).toEqual(expect.arrayContaining(['duplicate', 'prompt_drift', 'imported']));
    expect(l955.marks).toEqual(expect.arrayContaining(['duplicate', 'prompt_drift', 'imported']));
    expect(l955.gapMs).toBe(3 * 60_000 + 23_199);
    expect(l953.gapMs).toBeNull();
    const outOfSpec = t.lanes
      .filter((l) => l.marks.includes('out_of_spec'))
      .map((l) => l.legacyId)
      .sort();
    expect(outOfSpec).toEqual(['954', '956', '958']);
    // Lanes are ordered by region, model, question.
    const keys = t.lanes.map((l) => `${l.region}|${l.modelId}`);
    expect(keys).toEqual([...keys].sort());
    expect(t.lanes.find((l) => l.legacyId === '962')!.marks).toEqual(['imported']);
  });

  it('pages lanes by cursor on one time axis, and filters', async () => {
    const full = await client.getTimeline(jobId);
    expect(full.totalLanes).toBe(12);
    const seen: TimelineLaneView[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.getTimeline(jobId, { limit: 5, cursor });
      expect(page.from).toBe(full.from);
      expect(page.totalLanes).toBe(12);
      seen.push(...page.lanes);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.map((l) => l.executionId)).toEqual(full.lanes.map((l) => l.executionId));
    expect(full.lanes.every((l) => l.attempts.length === 1 && l.attempts[0]!.outcome === 'succeeded' && l.marks.length === 0)).toBe(true);
    const attempt = full.lanes[0]!.attempts[0]!;
    expect(Date.parse(attempt.startedAt)).toBeGreaterThanOrEqual(Date.parse(full.from!));
    expect(Date.parse(attempt.endedAt!)).toBeLessThanOrEqual(Date.parse(full.to!));
    const eu = await client.getTimeline(jobId, { region: 'eu-west', model: 'mistral-7b' });
    expect(eu.totalLanes).toBe(3);
    expect(eu.lanes.every((l) => l.region === 'eu-west' && l.modelId === 'mistral-7b')).toBe(true);
  });

  it('answers 404 for an unknown job and 400 naming a bad cursor or limit', async () => {
    await expect(client.getTimeline('no-such-job')).rejects.toMatchObject({ status: 404 });
    await expect(client.getTimeline(jobId, { cursor: 'garbage' })).rejects.toMatchObject({
      status: 400,
      body: { problems: [{ path: 'cursor' }] },
    });
    await expect(client.getTimeline(jobId, { limit: 5000 })).rejects.toMatchObject({
      status: 400,
      body: { problems: [{ path: 'limit' }] },
    });
  });

  it('diffs 953 and 955: different system prompts, an answer against a refusal', async () => {
    const d = await client.getDiff('953', 'l:955');
    expect(d.a).toMatchObject({
      kind: 'execution',
      legacyId: '953',
      region: 'us-east',
      modelId: 'qwen2.5-1.5b',
      classification: 'answered',
      legacyClassification: 'unknown',
    });
    expect(d.b).toMatchObject({ kind: 'execution', legacyId: '955', classification: 'refused' });
    const field = (f: string) => d.fields.find((x) => x.field === f)!;
    expect(field('systemPrompt').equal).toBe(false);
    expect(field('systemPrompt').a).toBe('You are a helpful assistant.');
    expect(
      field('systemPrompt')
        .changes.filter((c) => c.op === 'added')
        .map((c) => c.text)
        .join(''),
    ).toContain('based in the US');
    expect(field('userPrompt').equal).toBe(true);
    expect(field('response').changes.some((c) => c.op === 'removed' && c.text.includes('Paris'))).toBe(true);
    expect(field('response').changes.some((c) => c.op === 'added' && c.text.includes('sorry'))).toBe(true);
    expect(field('classification')).toMatchObject({ equal: false, a: 'answered', b: 'refused' });
    // Concatenating the kept and removed runs gives back a; kept and added give b.
    for (const f of d.fields) {
      expect(
        f.changes
          .filter((c) => c.op !== 'added')
          .map((c) => c.text)
          .join(''),
      ).toBe(f.a);
      expect(
        f.changes
          .filter((c) => c.op !== 'removed')
          .map((c) => c.text)
          .join(''),
      ).toBe(f.b);
    }
  });

  it('diffs attempts and executions of a Beacon job, by e:, a: and bare ids', async () => {
    const t = await client.getTimeline(jobId, { region: 'us-east', model: 'llama3.2-1b' });
    const [x, y] = t.lanes;
    const d = await client.getDiff(`a:${x!.attempts[0]!.id}`, `e:${y!.executionId}`);
    expect(d.a).toMatchObject({ kind: 'attempt', attemptId: x!.attempts[0]!.id, executionId: x!.executionId, attempt: 1 });
    expect(d.b).toMatchObject({ kind: 'execution', executionId: y!.executionId, ref: `e:${y!.executionId}` });
    expect(d.fields.map((f) => f.field)).toEqual(['systemPrompt', 'userPrompt', 'parameters', 'response', 'classification']);
    expect(d.fields.find((f) => f.field === 'systemPrompt')!.equal).toBe(true);
    expect(d.fields.find((f) => f.field === 'userPrompt')!.equal).toBe(false);
    const same = await client.getDiff(x!.executionId, `e:${x!.executionId}`);
    expect(same.fields.every((f) => f.equal)).toBe(true);
  });

  it('answers 400 naming the parameter for a bad ref and 404 for a missing one', async () => {
    const err = (await client.getDiff('x:1', '953').catch((e: unknown) => e)) as ApiRequestError;
    expect(err.status).toBe(400);
    expect(err.body.problems?.[0]?.path).toBe('a');
    const missingB = await fetch(`${client.baseUrl}/api/v1/diff?a=953`);
    expect(missingB.status).toBe(400);
    expect(((await missingB.json()) as { problems: { path: string }[] }).problems[0]!.path).toBe('b');
    const nf = (await client.getDiff('953', 'a:999999').catch((e: unknown) => e)) as ApiRequestError;
    expect(nf.status).toBe(404);
    expect(nf.message).toContain('b: no attempt 999999');
  });
});
