import { LifecycleRepository, QueueRepository } from '@beacon/db';
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

/**
 * Safe, idempotent repairs of reconciler findings. Each repair runs in its own transaction, re-checks its condition in
 * the UPDATE itself (so a repair planned from stale findings changes nothing), and writes one `reconciler_repairs`
 * audit row only when it changed something. Nothing is ever deleted.
 */
export class RepairService {
  /** `maxLeaseLosses`: as the reaper's (`limits.maxLeaseLossesPerCell`). */
  constructor(
    private readonly ds: DataSource,
    private readonly maxLeaseLosses: number = ENGINE_LIMITS.maxLeaseLossesPerCell,
  ) {}

  /** The repairs the findings call for, with the executions each would change now. Findings of other rules are ignored. */
  async plan(findings: Pick<RawFinding & { ruleId: string }, 'fingerprint' | 'jobId' | 'evidence' | 'ruleId'>[]): Promise<Repair[]> {
    const queue = new QueueRepository(this.ds);
    const lifecycle = new LifecycleRepository(this.ds);
    const out: Repair[] = [];
    for (const f of findings) {
      if (f.ruleId === 'stuck_running') {
        const id = f.fingerprint.slice('stuck_running:'.length);
        if (!/^\d+$/.test(id)) continue;
        if ((await queue.expiredLeases([id])).length === 0) continue;
        out.push({
          fingerprint: f.fingerprint,
          ruleId: f.ruleId,
          jobId: f.jobId,
          action: 'requeue_stuck',
          executionIds: [id],
          description: `requeue execution ${id}: running with an expired lease → pending, lease cleared, open attempt → lease_expired (as the reaper)`,
        });
      } else if (f.ruleId === 'out_of_spec' && f.jobId) {
        const ids = await lifecycle.pendingOutOfSpec(f.jobId);
        if (ids.length === 0) continue;
        out.push({
          fingerprint: f.fingerprint,
          ruleId: f.ruleId,
          jobId: f.jobId,
          action: 'cancel_out_of_spec',
          executionIds: ids,
          description: `cancel ${ids.length} pending out-of-spec cells of job ${f.jobId} (${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}); running and finished ones are left alone`,
        });
      } else if (f.ruleId === 'duplicate_cell' && f.jobId) {
        const ev = f.evidence;
        const copies = await lifecycle.cellCopies({
          jobId: f.jobId,
          questionId: ev.questionId,
          modelId: ev.modelId,
          region: ev.region,
          variant: ev.variant,
          replicate: ev.replicate,
        });
        if (copies.length < 2) continue;
        const keep = copies[0]!.id;
        const ids = copies
          .slice(1)
          .filter((c) => c.supersededBy === null)
          .map((c) => c.id);
        if (ids.length === 0) continue;
        out.push({
          fingerprint: f.fingerprint,
          ruleId: f.ruleId,
          jobId: f.jobId,
          action: 'mark_superseded',
          executionIds: ids,
          keepId: keep,
          description: `keep execution ${keep} of cell (${String(ev.region)}, ${String(ev.modelId)}, ${String(ev.questionId)}, ${String(ev.replicate)}); mark ${ids.join(', ')} superseded_by ${keep}`,
        });
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
            [
              r.fingerprint,
              r.ruleId,
              r.action,
              changed,
              appliedBy,
              JSON.stringify({ jobId: r.jobId, description: r.description, planned: r.executionIds, keepId: r.keepId ?? null }),
            ],
          );
        }
        return changed;
      });
      out.push({ ...r, applied: changedIds.length > 0, changedIds });
    }
    return out;
  }

  /** The repair's transition, by the repository that owns it, in the repair's transaction; the ids it changed, ascending. */
  private async applyOne(tx: EntityManager, r: Repair): Promise<string[]> {
    let changed: string[];
    switch (r.action) {
      case 'requeue_stuck':
        changed = (await new QueueRepository(tx).requeueExpired(r.executionIds, 'reconciler', r.jobId, this.maxLeaseLosses)).map(
          (c) => c.id,
        );
        break;
      case 'cancel_out_of_spec':
        changed = await new LifecycleRepository(tx).cancelOutOfSpec(r.executionIds);
        break;
      case 'mark_superseded':
        changed = r.keepId === undefined ? [] : await new LifecycleRepository(tx).supersede(r.executionIds, r.keepId);
        break;
      default:
        return [];
    }
    return changed.sort((a, b) => Number(a) - Number(b));
  }
}
