import { queryRows, type CellKeyFields } from '@beacon/db';
import { renderSystemPrompt, systemPromptOf, type NormalisedJobSpec } from '@beacon/domain';
import type { RawFinding, ReconcilerRule } from '../reconciler.types.js';
import { ids, inJobs, ruleRows } from './rule-sql.js';

/** An execution whose attempts carry different prompt hashes. */
interface HashDriftRow {
  execution_id: string;
  job_id: string;
  n: number;
  attempt_ids: string[];
}

/** A cell whose several executions sent different prompts. */
interface CellDriftRow extends CellKeyFields {
  n: number;
  execution_ids: string[];
  attempt_ids: string[];
}

/** A system prompt sent in a region of a job, how often, and its first attempt. */
interface SystemPromptRow {
  job_id: string;
  region: string;
  variant: string;
  system_prompt: string;
  n: number;
  first_attempt: string;
}

/** The attempts (and their executions) that sent one system prompt; null when none is found any more. */
interface PromptEvidenceRow {
  attempt_ids: string[] | null;
  execution_ids: string[] | null;
}

/** Attempts of one cell with different prompts, or a system prompt that is not the region's rendering of the job's template. */
export const promptDriftRule: ReconcilerRule = {
  id: 'prompt_drift',
  severity: 'warning',
  title: 'Prompt drift',
  kind: 'jobs',
  explanation:
    'The prompt sent to the provider is not the one the job froze at submission: attempts of one cell ' +
    "carry different prompt hashes, or a region's system prompt differs from the job template rendered with the " +
    "region's display name. Responses from such attempts are not comparable across regions; check for runners of " +
    'different versions or a changed region name, and rerun the affected cells.',
  async run(ctx) {
    const limit = ctx.thresholds.evidenceLimit;
    const out: RawFinding[] = [];
    const hashes = await ruleRows<HashDriftRow>(
      ctx,
      // min <> max finds the drifting executions cheaply; the evidence is gathered for those only.
      `WITH drift AS (
         SELECT a.execution_id FROM execution_attempts a WHERE ${inJobs('a.job_id')}
          GROUP BY a.execution_id HAVING min(a.prompt_hash) <> max(a.prompt_hash))
       SELECT a.execution_id, a.job_id, count(DISTINCT a.prompt_hash)::int AS n, array_agg(a.id ORDER BY a.id) AS attempt_ids
         FROM execution_attempts a JOIN drift d ON d.execution_id = a.execution_id
        GROUP BY a.execution_id, a.job_id`,
    );
    for (const r of hashes) {
      out.push({
        fingerprint: `prompt_drift:hash:${r.execution_id}`,
        jobId: r.job_id,
        summary: `execution ${r.execution_id}: ${r.n} different prompt hashes across its attempts`,
        evidence: { executionIds: [r.execution_id], attemptIds: ids(r.attempt_ids, limit), distinctHashes: r.n },
      });
    }
    // Several executions of one cell (imported legacy duplicates) sent different prompts.
    const cells = await ruleRows<CellDriftRow>(
      ctx,
      `SELECT a.job_id, e.question_id, e.model_id, e.region, e.variant, e.replicate, count(DISTINCT a.prompt_hash)::int AS n,
              array_agg(DISTINCT coalesce(e.legacy_id, e.id)) AS execution_ids, array_agg(a.id ORDER BY a.id) AS attempt_ids
         FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
        WHERE ${inJobs('a.job_id')} AND e.imported -- only imported rows can repeat a cell key
        GROUP BY a.job_id, e.question_id, e.model_id, e.region, e.variant, e.replicate
       HAVING count(DISTINCT e.id) > 1 AND count(DISTINCT a.prompt_hash) > 1`,
    );
    for (const r of cells) {
      out.push({
        fingerprint: `prompt_drift:cell:${r.job_id}:${r.question_id}:${r.model_id}:${r.region}${r.variant ? `:${r.variant}` : ''}:${r.replicate}`,
        jobId: r.job_id,
        summary: `job ${r.job_id}: executions of cell (${r.region}, ${r.model_id}, ${r.question_id}) sent ${r.n} different prompts`,
        evidence: {
          executionIds: ids(r.execution_ids, limit).sort((x, y) => Number(x) - Number(y)),
          attemptIds: ids(r.attempt_ids, limit),
          distinctHashes: r.n,
        },
      });
    }
    const prompts = await ruleRows<SystemPromptRow>(
      ctx,
      // Distinct (job, region, prompt) first, without building id arrays for the prompts that match the template.
      `SELECT a.job_id, e.region, e.variant, a.system_prompt, count(*)::int AS n, min(a.id) AS first_attempt
         FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
        WHERE ${inJobs('a.job_id')}
        GROUP BY a.job_id, e.region, e.variant, a.system_prompt`,
    );
    const jobIds = [...new Set(prompts.map((r) => r.job_id))];
    const specs = new Map<string, NormalisedJobSpec>();
    if (jobIds.length > 0) {
      const jobs = await queryRows<{ id: string; spec: NormalisedJobSpec }>(
        ctx.ds,
        'SELECT id, spec FROM jobs WHERE id = ANY($1::text[])',
        [jobIds],
      );
      for (const j of jobs) specs.set(j.id, j.spec);
    }
    for (const r of prompts) {
      const spec = specs.get(r.job_id);
      const region = spec?.regions?.find((x) => x.id === r.region);
      if (!spec?.prompt?.template || !region) continue;
      // The region's prompt in the cell's variant (its prompt variant, when the job asks one).
      const expected = systemPromptOf(spec, r.region, r.variant) ?? renderSystemPrompt(spec.prompt.template, region.displayName);
      if (expected === r.system_prompt) continue;
      const [evidence] = await queryRows<PromptEvidenceRow>(
        ctx.ds,
        `SELECT array_agg(id) AS attempt_ids, array_agg(execution_id) AS execution_ids FROM (
           SELECT a.id, coalesce(e.legacy_id, e.id) AS execution_id FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
            WHERE a.job_id = $1 AND e.region = $2 AND e.variant = $5 AND a.system_prompt = $3 ORDER BY a.id LIMIT $4) x`,
        [r.job_id, r.region, r.system_prompt, limit, r.variant],
      );
      const attemptIds = evidence?.attempt_ids ?? [r.first_attempt];
      const executionIds = evidence?.execution_ids ?? [];
      out.push({
        fingerprint: `prompt_drift:template:${r.job_id}:${r.region}${r.variant ? `:${r.variant}` : ''}`,
        jobId: r.job_id,
        summary: `job ${r.job_id}: ${r.n} attempts in ${r.region} sent a system prompt that is not the job's template (version ${spec.prompt.version})`,
        evidence: {
          executionIds: ids(executionIds, limit),
          attemptIds: ids(attemptIds, limit),
          count: r.n,
          promptVersion: spec.prompt.version,
          expected: expected.slice(0, 200),
          actual: r.system_prompt.slice(0, 200),
        },
      });
    }
    return out;
  },
};
