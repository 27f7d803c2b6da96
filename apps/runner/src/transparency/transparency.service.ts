import { Inject, Injectable, Logger as NestLogger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { assembleBundle, summariseReceipts, type BeaconConfig, type EvidenceBundle, type Receipt } from '@beacon/domain';
import { queryRows, TERMINAL_JOB_STATUSES_SQL, TransparencyRepository, type TreeHead } from '@beacon/db';
import type { EngineOptions } from '@beacon/engine';
import { DataSource } from 'typeorm';
import { ApiError } from '../api/api-error.js';
import { BEACON_CONFIG, ENGINE_OPTIONS } from '../tokens.js';
import { loadLogKeys, type LogKeys } from './log-keys.js';

/** Finished jobs logged per checkpoint step. */
const JOBS_PER_STEP = 20;

/** The checkpoint loop's states: idle between steps, stepping, or stopped for good. */
type LoopState = { kind: 'idle'; timer: NodeJS.Timeout | null } | { kind: 'stepping'; done: Promise<void> } | { kind: 'stopped' };

/**
 * The evidence log in the daemon. A checkpoint step (every `transparency.checkpointMs`, in daemons with workers)
 * appends the receipts of finished jobs not yet logged and signs a head, so the engine's commit path stays as it was;
 * the repository's advisory lock makes every daemon's steps one sequence, and each execution is logged once (unique).
 * An export logs the job's committed cells first, so a job that ran before the log existed (or is still running) is
 * logged on demand.
 */
@Injectable()
export class TransparencyService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new NestLogger('transparency');
  readonly keys: LogKeys;
  readonly repo: TransparencyRepository;
  private state: LoopState = { kind: 'idle', timer: null };

  constructor(
    private readonly ds: DataSource,
    @Inject(BEACON_CONFIG) config: BeaconConfig,
    @Inject(ENGINE_OPTIONS) private readonly engine: EngineOptions | null,
  ) {
    this.keys = loadLogKeys(config);
    this.repo = new TransparencyRepository(ds);
    if (this.keys.problem) this.log.error(`${this.keys.problem}; tree heads are not signed`);
  }

  onApplicationBootstrap(): void {
    if (!this.engine) return;
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    const s = this.state;
    this.state = { kind: 'stopped' };
    if (s.kind === 'idle' && s.timer) clearTimeout(s.timer);
    if (s.kind === 'stepping') await s.done;
  }

  private schedule(): void {
    if (this.state.kind === 'stopped') return;
    const timer = setTimeout(() => this.runStep(), this.keys.config.checkpointMs);
    timer.unref();
    this.state = { kind: 'idle', timer };
  }

  private runStep(): void {
    if (this.state.kind !== 'idle') return;
    const done = this.step()
      .then(() => undefined)
      .catch((err: unknown) => this.log.warn(`checkpoint step: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        if (this.state.kind === 'stepping') this.schedule();
      });
    this.state = { kind: 'stepping', done };
  }

  /** One checkpoint step: log the receipts of finished jobs, and sign the current size if it has no head. */
  async step(): Promise<number> {
    let appended = 0;
    for (const jobId of await this.repo.unloggedFinishedJobs(JOBS_PER_STEP)) {
      appended += await this.repo.appendJob(jobId, this.keys.signer, true);
    }
    if (this.keys.signer) await this.repo.signCurrent(this.keys.signer);
    return appended;
  }

  /** The latest signed head (or the one of `size`), or 404 naming why there is none. */
  async head(size?: number): Promise<TreeHead> {
    const head = await this.repo.head(size);
    if (head) return head;
    throw new ApiError(
      404,
      'head_not_found',
      size === undefined
        ? `the transparency log has no signed head yet${this.keys.signer ? '' : ' (no transparency.signingKey is configured)'}`
        : `no head was signed at tree size ${size}`,
      [{ path: size === undefined ? '$' : 'size', message: 'no signed head' }],
    );
  }

  /** Builds the evidence bundle of a job: logs its committed cells first, then proves each under the latest head. */
  async bundle(jobId: string): Promise<EvidenceBundle> {
    const signer = this.keys.signer;
    if (!signer) {
      throw new ApiError(409, 'log_key_missing', 'no transparency.signingKey is configured: a bundle needs a signed tree head', [
        { path: 'transparency.signingKey', message: this.keys.problem ?? 'not configured' },
      ]);
    }
    const [job] = await queryRows<{ id: string; spec_received: string; terminal: boolean }>(
      this.ds,
      `SELECT id, spec_received, status IN ${TERMINAL_JOB_STATUSES_SQL} AS terminal FROM jobs WHERE id = $1`,
      [jobId],
    );
    if (!job) throw new ApiError(404, 'job_not_found', `job ${jobId} not found`, [{ path: 'id', message: 'no such job' }]);
    await this.repo.appendJob(jobId, signer, job.terminal);
    await this.repo.signCurrent(signer);
    const head = await this.head();
    const leaves = (await this.repo.jobLeaves(jobId)).filter((l) => l.leafIndex < head.treeSize);
    const proofs = await this.repo.inclusionProofs(
      leaves.map((l) => l.leafIndex),
      head.treeSize,
    );
    const receipts = leaves.map((l) => JSON.parse(l.receipt.toString('utf8')) as Receipt);
    const sig = await this.repo.specSignature(jobId);
    return assembleBundle({
      job: {
        id: job.id,
        spec_received: job.spec_received,
        spec_signature: sig
          ? { form: sig.form, key_id: sig.keyId, timestamp: sig.timestamp, nonce: sig.nonce, signature: sig.signature }
          : null,
      },
      analysis: { summary: summariseReceipts(receipts) },
      receipts: leaves.map((l, i) => ({
        leaf_index: l.leafIndex,
        receipt: receipts[i]!,
        proof: proofs[i]!.map((p) => p.toString('base64')),
      })),
      checkpoint: head.note,
      logKey: { id: signer.keyId, privateKey: signer.privateKey },
      logKeys: this.keys.publicKeys,
      specKey: sig?.publicKey ? { id: sig.keyId, public_key: sig.publicKey } : null,
    });
  }
}
