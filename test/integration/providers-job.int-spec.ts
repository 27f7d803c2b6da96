import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobAnalysis } from '@beacon/analysis';
import { ANTHROPIC_FAKE_KEY, start as startAnthropic } from '../utils/fakes/anthropic-fake.js';
import { GEMINI_FAKE_KEY, start as startGemini } from '../utils/fakes/gemini-fake.js';
import type { RunningFake } from '../utils/fakes/fake-server.js';
import { Fleet, jobSpec } from '../utils/fleet.js';
import { cliEnv, runCli } from '../utils/cli.js';

const MODELS = ['llama3.2-1b', 'qwen2.5-1.5b', 'mistral-7b'];
const REGIONS = ['us-east', 'eu-west', 'asia-pacific'];

/**
 * Issue 17 acceptance: a 72-cell job (8 questions × 3 models × 3 regions) runs with each region on a different provider
 * kind (the simulator as an OpenAI-compatible API, Anthropic's Messages API, Gemini's generateContent, each a local fake
 * over real HTTP), through a real daemon; every attempt records its provider and region, the report says which provider
 * and region served each cell, and what a provider reports outside the configured list is a reconciler finding.
 */
describe('a job across three provider kinds', () => {
  let anthropic: RunningFake;
  let gemini: RunningFake;
  let fleet: Fleet;

  beforeAll(async () => {
    [anthropic, gemini] = await Promise.all([startAnthropic(), startGemini()]);
    fleet = await Fleet.create({
      prefix: 'providers',
      models: MODELS,
      regions: {
        'us-east': {},
        // The fake reports `inference_geo: us`: configured to accept only `eu`, so each call is a region_mismatch.
        'eu-west': {
          provider: { kind: 'anthropic', baseUrl: anthropic.url, apiKeyEnv: 'BEACON_TEST_ANTHROPIC_KEY', observedRegions: ['eu'] },
        },
        'asia-pacific': { provider: { kind: 'gemini', baseUrl: gemini.url, apiKeyEnv: 'BEACON_TEST_GEMINI_KEY' } },
      },
      env: { BEACON_TEST_ANTHROPIC_KEY: ANTHROPIC_FAKE_KEY, BEACON_TEST_GEMINI_KEY: GEMINI_FAKE_KEY },
    });
  });
  afterAll(async () => {
    await fleet?.close();
    await Promise.all([anthropic?.close(), gemini?.close()]);
  });

  it('runs 72 cells once each, records who served each, and reports it', async () => {
    const daemon = await fleet.startDaemon();
    const job = await fleet.submit(jobSpec('providers-72', 8, MODELS, REGIONS));
    expect(job.cells).toBe(72);
    expect(await fleet.waitForJob(job.id, 90_000)).toBe('completed');

    // Each fake got exactly its region's calls (8 questions × 3 models), with its own key.
    expect(anthropic.requests).toHaveLength(24);
    expect(gemini.requests).toHaveLength(24);
    const attempts: { region: string; provider_kind: string; served_region: string; region_observed: string | null; n: number }[] =
      await fleet.ds.query(
        `SELECT e.region, a.provider_kind, a.served_region, a.region_observed, count(*)::int AS n
           FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
          WHERE e.job_id = $1 AND a.outcome = 'succeeded' GROUP BY 1, 2, 3, 4 ORDER BY 1`,
        [job.id],
      );
    expect(attempts).toEqual([
      { region: 'asia-pacific', provider_kind: 'gemini', served_region: 'asia-pacific', region_observed: null, n: 24 },
      { region: 'eu-west', provider_kind: 'anthropic', served_region: 'eu-west', region_observed: 'us', n: 24 },
      { region: 'us-east', provider_kind: 'openai', served_region: 'us-east', region_observed: null, n: 24 },
    ]);

    // The analysis (what the report renders) counts the same from the rows, per region and model.
    const analysis = (await (await fetch(`${daemon.url}/api/v1/jobs/${job.id}/analysis`)).json()) as JobAnalysis;
    const expected = attempts.flatMap((a) =>
      MODELS.map((m) => ({
        region: a.region,
        modelId: m,
        providerKind: a.provider_kind,
        servedRegion: a.served_region,
        regionObserved: a.region_observed,
        cells: 8,
      })),
    );
    const key = (r: { region: string; modelId: string }) => `${r.region}|${r.modelId}`;
    expect([...analysis.servedBy].sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      expected.sort((a, b) => key(a).localeCompare(key(b))),
    );

    const md = await runCli(['report', job.id], { env: cliEnv({ BEACON_API_URL: daemon.url }) });
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('## Where the results were served');
    expect(md.stdout).toMatch(/\| eu-west \| llama3\.2-1b \| anthropic \| eu-west \| us \| 8 \|/);
    expect(md.stdout).toMatch(/\| asia-pacific \| mistral-7b \| gemini \| asia-pacific \| – \| 8 \|/);
    expect(md.stdout).toMatch(/\| us-east \| qwen2\.5-1\.5b \| openai \| us-east \| – \| 8 \|/);
    // No key reached the report.
    expect(md.stdout).not.toContain(ANTHROPIC_FAKE_KEY);
    expect(md.stdout).not.toContain(GEMINI_FAKE_KEY);

    // Reported outside the configured list: one critical region_mismatch for eu-west, none for the others.
    const rec = await runCli(['reconcile', '--job', job.id, '--json'], {
      env: cliEnv({ DATABASE_URL: fleet.db.url, BEACON_CONFIG: fleet.configPath }),
    });
    const { findings } = JSON.parse(rec.stdout) as {
      findings: { ruleId: string; fingerprint: string; evidence: Record<string, unknown> }[];
    };
    const mismatch = findings.filter((f) => f.ruleId === 'region_mismatch');
    expect(mismatch.map((f) => f.fingerprint)).toEqual([`region_mismatch:${job.id}:eu-west:eu-west:us`]);
    expect(mismatch[0]!.evidence).toMatchObject({ attempts: 24, regionObserved: 'us', allowed: ['eu'], providerKind: 'anthropic' });
  });
});
