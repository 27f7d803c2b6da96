import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ReconcileService, type Finding } from '@beacon/reconciler';
import type { DataSource } from 'typeorm';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';
import { seedJob } from './reconciler-fixtures.js';

const REGIONS = ['us-east', 'eu-west', 'asia-pacific'];
const OBSERVED = ['us', 'eu', 'eastus', 'westeurope', 'global'];

/** What one attempt says about who served it (null: not recorded). */
interface Served {
  servedRegion: string | null;
  regionObserved: string | null;
  allowed: string[] | null;
}

/**
 * region_mismatch and served_elsewhere against an independent computation on generated histories: random serving
 * facts on a real job's attempts, the rules' findings compared with the same findings computed here from the facts.
 */
describe('reconciler: where calls were served, on generated histories', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await migratedDatabase('recserved');
    ds = db.ds;
  });
  afterAll(async () => {
    await db?.close();
  });

  const servedArb: fc.Arbitrary<Served> = fc.record({
    servedRegion: fc.option(fc.constantFrom(...REGIONS), { nil: null }),
    regionObserved: fc.option(fc.constantFrom(...OBSERVED), { nil: null }),
    allowed: fc.option(fc.uniqueArray(fc.constantFrom(...OBSERVED), { maxLength: 3 }), { nil: null }),
  });

  // Found by this property: two calls of one group accepted under different lists were two rows with one fingerprint.
  it('finds exactly the groups the facts imply, with their counts', async () => {
    const { jobId, cells } = await seedJob(ds, {
      questions: ['math_basic', 'geography_basic', 'identity_basic', 'taiwan_status'],
      models: ['llama3.2-1b'],
      regions: REGIONS,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(servedArb, { minLength: cells.length, maxLength: cells.length }), async (facts) => {
        for (const [i, f] of facts.entries()) {
          await ds.query(
            `UPDATE execution_attempts SET served_region = $2, region_observed = $3, region_observed_allowed = $4::text[],
                    provider_kind = CASE WHEN $2::text IS NULL THEN NULL ELSE 'openai' END
              WHERE execution_id = $1`,
            [cells[i]!.id, f.servedRegion, f.regionObserved, f.allowed],
          );
        }
        const out = await new ReconcileService(ds, {}).run({
          scope: { jobId },
          persist: false,
          ruleIds: ['region_mismatch', 'served_elsewhere'],
        });
        if (out.skipped) throw new Error('skipped');
        expect(out.errors).toEqual([]);
        const got = (rule: string) =>
          out.findings
            .filter((f: Finding) => f.ruleId === rule)
            .map((f) => [f.fingerprint, f.evidence.attempts, [...(f.evidence.executionIds as string[])].sort()])
            .sort();

        // The oracle: the same groups, computed from the facts.
        const mismatch = new Map<string, string[]>();
        const elsewhere = new Map<string, string[]>();
        facts.forEach((f, i) => {
          const c = cells[i]!;
          const id = String(c.id);
          if (f.regionObserved !== null && f.allowed !== null && f.allowed.length > 0 && !f.allowed.includes(f.regionObserved)) {
            const k = `region_mismatch:${jobId}:${c.region}:${f.servedRegion ?? ''}:${f.regionObserved}`;
            mismatch.set(k, [...(mismatch.get(k) ?? []), id]);
          }
          if (f.servedRegion !== null && f.servedRegion !== c.region) {
            const k = `served_elsewhere:${jobId}:${c.region}:${f.servedRegion}`;
            elsewhere.set(k, [...(elsewhere.get(k) ?? []), id]);
          }
        });
        const expected = (m: Map<string, string[]>) => [...m].map(([k, ids]) => [k, ids.length, [...ids].sort()]).sort();
        expect(got('region_mismatch')).toEqual(expected(mismatch));
        expect(got('served_elsewhere')).toEqual(expected(elsewhere));
      }),
      { numRuns: 40 },
    );
  });
});
