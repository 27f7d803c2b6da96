import { reapStatement, WORK_CHANNEL } from '@beacon/db';
import { ENGINE_LIMITS } from '@beacon/domain';
import type { DataSource, EntityManager } from 'typeorm';
import type { RawFinding } from './reconciler.types.js';

/** What a repair does. None of them deletes a row. */
export type RepairAction = 'requeue_stuck' | 'cancel_out_of_spec' | 'mark_superseded';

/** One planned repair of one finding. */
export interface Repair {
  fingerprint: string;
  ruleId: string;
  jobId: string | null;
  action: RepairAction;
  /** The executions the repair will change (real ids, not legacy ids). */
  executionIds: string[];
  /** For `mark_superseded`: the execution kept, which the others point at. */
  keepId?: string;
  description: string;
}

/** A repair after {@link RepairService.apply}: the executions it actually changed (none when there was nothing left to do). */
export interface AppliedRepair extends Repair {
  applied: boolean;
  changedIds: string[];
}

type Q = Pick<DataSource | EntityManager, 'query'>;
type Row = Record<string, unknown>;

/** SQL predicate over `e` (executions) and `j` (its job): the cell is outside the job's frozen spec (as the out_of_spec rule). */
const OUT_OF_SPEC = `jsonb_typeof(j.spec->'questions') = 'array' AND NOT (
    ((e.imported AND e.legacy_question_id IS NULL)
      OR EXISTS (SELECT 1 FROM jsonb_array_elements(j.spec->'questions') x WHERE x->>'id' = e.question_id))
    AND EXISTS (SELECT 1 FROM jsonb_array_elements(j.spec->'models') x WHERE x->>'id' = e.model_id)
    AND EXISTS (SELECT 1 FROM jsonb_array_elements(j.spec->'regions') x WHERE x->>'id' = e.region)
    AND e.replicate < coalesce((j.spec->>'repeats')::int, 1))`;

/**
 * Safe, idempotent repairs of reconciler findings. Each repair runs in its own transaction, re-checks its condition in
 * the UPDATE itself (so a repair planned from stale findings changes nothing), and writes one `reconciler_repairs`
 * audit row only when it changed something. Nothing is ever deleted.
 */
export class RepairService {
  /** `maxLeaseLosses`: as the reaper's (`limits.maxLeaseLossesPerCell`). */
  constructor(private readonly ds: DataSource, private readonly maxLeaseLosses: number = ENGINE_LIMITS.maxLeaseLossesPerCell) {}

  /** The repairs the findings call for, with the executions each would change now. Findings of other rules are ignored. */
  async plan(findings: Pick<RawFinding & { ruleId: string }, 'fingerprint' | 'jobId' | 'evidence' | 'ruleId'>[]): Promise<Repair[]> {
    const out: Repair[] = [];
    for (const f of findings) {
      if (f.ruleId === 'stuck_running') {
        const id = f.fingerprint.slice('stuck_running:'.length);
        if (!/^\d+$/.test(id)) continue;
        const rows: Row[] = await this.ds.query(`SELECT id FROM executions WHERE id = $1 AND state = 'running' AND lease_expires_at < now()`, [id]);
        if (rows.length === 0) continue;
        out.push({ fingerprint: f.fingerprint, ruleId: f.ruleId, jobId: f.jobId, action: 'requeue_stuck', executionIds: [id],
          description: `requeue execution ${id}: running with an expired lease → pending, lease cleared, open attempt → lease_expired (as the reaper)` });
      } else if (f.ruleId === 'out_of_spec' && f.jobId) {
        const rows: Row[] = await this.ds.query(
          `SELECT e.id FROM executions e JOIN jobs j ON j.id = e.job_id
            WHERE e.job_id = $1 AND e.state = 'pending' AND ${OUT_OF_SPEC} ORDER BY e.id`, [f.jobId]);
        if (rows.length === 0) continue;
        const ids = rows.map((r) => String(r.id));
        out.push({ fingerprint: f.fingerprint, ruleId: f.ruleId, jobId: f.jobId, action: 'cancel_out_of_spec', executionIds: ids,
          description: `cancel ${ids.length} pending out-of-spec cells of job ${f.jobId} (${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}); running and finished ones are left alone` });
      } else if (f.ruleId === 'duplicate_cell' && f.jobId) {
        const ev = f.evidence;
        const rows: Row[] = await this.ds.query(
          `SELECT id, superseded_by FROM executions
            WHERE job_id = $1 AND question_id = $2 AND model_id = $3 AND region = $4 AND replicate = $5
            ORDER BY (state = 'succeeded') DESC, coalesce(started_at, created_at), id`,
          [f.jobId, ev.questionId, ev.modelId, ev.region, ev.replicate]);
        if (rows.length < 2) continue;
        const keep = String(rows[0]!.id);
        const ids = rows.slice(1).filter((r) => r.superseded_by == null).map((r) => String(r.id));
        if (ids.length === 0) continue;
        out.push({ fingerprint: f.fingerprint, ruleId: f.ruleId, jobId: f.jobId, action: 'mark_superseded', executionIds: ids, keepId: keep,
          description: `keep execution ${keep} of cell (${String(ev.region)}, ${String(ev.modelId)}, ${String(ev.questionId)}, ${String(ev.replicate)}); mark ${ids.join(', ')} superseded_by ${keep}` });
      }
    }
    return out;
  }

  /** Applies each repair in its own transaction; a repair with nothing left to do changes nothing and writes no audit row. */
  async apply(repairs: Repair[], appliedBy: string): Promise<AppliedRepair[]> {
    const out: AppliedRepair[] = [];
    for (const r of repairs) {
      const changedIds = await this.ds.transaction(async (tx) => {
        const changed = await this.applyOne(tx, r);
        if (changed.length > 0) {
          await tx.query(
            `INSERT INTO reconciler_repairs (finding_fingerprint, rule_id, action, execution_ids, applied_by, detail)
             VALUES ($1, $2, $3, $4::bigint[], $5, $6::jsonb)`,
            [r.fingerprint, r.ruleId, r.action, changed, appliedBy,
              JSON.stringify({ jobId: r.jobId, description: r.description, planned: r.executionIds, keepId: r.keepId ?? null })]);
        }
        return changed;
      });
      out.push({ ...r, applied: changedIds.length > 0, changedIds });
    }
    return out;
  }

  private async applyOne(tx: Q, r: Repair): Promise<string[]> {
    let rows: Row[];
    switch (r.action) {
      case 'requeue_stuck':
        // The reaper's own statement (reapStatement) restricted to these ids: a lease loss counted (and failed at the
        // bound) only when the call had started, exactly as QueueRepository.reapCells does.
        rows = await tx.query(reapStatement({
          candidates: `WHERE e.id = ANY($1::bigint[]) AND e.state = 'running' AND e.lease_expires_at < now() FOR UPDATE OF e`,
          maxLeaseLosses: '$2', by: 'reconciler',
        }), [r.executionIds, this.maxLeaseLosses]);
        // Delivered on commit: idle runners claim the requeued cells now.
        if (rows.length > 0) await tx.query('SELECT pg_notify($1, $2)', [WORK_CHANNEL, r.jobId ?? '']);
        break;
      case 'cancel_out_of_spec':
        rows = await tx.query(
          `UPDATE executions e SET state = 'cancelled', finished_at = now(), updated_at = now()
             FROM jobs j
            WHERE j.id = e.job_id AND e.id = ANY($1::bigint[]) AND e.state = 'pending' AND ${OUT_OF_SPEC}
           RETURNING e.id`, [r.executionIds]);
        break;
      case 'mark_superseded':
        rows = await tx.query(
          `UPDATE executions e SET superseded_by = k.id, updated_at = now()
             FROM executions k
            WHERE k.id = $2 AND e.id = ANY($1::bigint[]) AND e.id <> k.id AND e.superseded_by IS NULL AND k.superseded_by IS NULL
              AND e.job_id = k.job_id AND e.question_id = k.question_id AND e.model_id = k.model_id
              AND e.region = k.region AND e.replicate = k.replicate
           RETURNING e.id`, [r.executionIds, r.keepId]);
        break;
      default:
        return [];
    }
    // TypeORM returns [rows, count] for UPDATE … RETURNING and plain rows for a SELECT.
    const list = (Array.isArray(rows[0]) ? rows[0] : rows) as Row[];
    return list.map((x) => String(x.id)).sort((a, b) => Number(a) - Number(b));
  }
}
