import { Inject, Injectable } from '@nestjs/common';
import {
  type BeaconConfig,
  normaliseJobSpec,
  publicKeyOf,
  rawPublicKeyBase64,
  SIGNATURE_HEADERS,
  type SignedSubmission,
  type SubmitView,
  type VerifiedSignature,
} from '@beacon/domain';
import { PLAN_ONE_STATEMENT_CELLS, type JobRepository, type StoredSpecSignature } from '@beacon/db';
import { ApiError } from '../api/api-error.js';
import { checkSignature, replayed } from '../auth/signature.check.js';
import { BEACON_CONFIG, JOB_REPOSITORY } from '../tokens.js';

/** Checks beyond the spec itself: the received bytes and headers (for signatures) and the submitter's in-flight limit. */
export interface SubmitChecks {
  /** The body exactly as received; without it signatures are not checked. */
  bytes?: Uint8Array;
  headers?: SignedSubmission['headers'];
  /** Most jobs the submitter may have queued or running. */
  maxInFlight?: number;
}

/** What a submission returns: the HTTP status and the body. */
export interface SubmitResult {
  status: 200 | 201;
  body: SubmitView;
}

/**
 * Large plannings (more than {@link PLAN_ONE_STATEMENT_CELLS} cells: several statements in one transaction, each
 * about 0.5 s) that may run at once in one daemon. Each holds a pooled connection for its whole transaction: without a
 * bound, a burst of large submissions would take every connection of the pool and starve the engine's claims,
 * heartbeats and completions. Two keep planning throughput (the database, not the daemon, is the limit) and leave the
 * rest of the pool to the engine and the API.
 */
export const MAX_CONCURRENT_LARGE_PLANNINGS = 2;
/** Seconds a submission refused with `planning_busy` is told to wait: about one large planning. */
const PLANNING_BUSY_RETRY_S = 5;

/** Validates a received spec, then stores the job and plans its cells in one transaction (or finds it already stored). */
@Injectable()
export class SubmitJobService {
  /** Large plannings under way in this daemon. */
  private largePlannings = 0;

  constructor(
    @Inject(BEACON_CONFIG) private readonly config: BeaconConfig,
    @Inject(JOB_REPOSITORY) private readonly jobs: JobRepository,
  ) {}

  /** How the spec was signed, with the signer's public key as configured now, for the job's evidence bundle. */
  private storedSignature(signature: VerifiedSignature, headers: SignedSubmission['headers']): StoredSpecSignature {
    const header = (name: string) => {
      const v = headers[name];
      return (Array.isArray(v) ? v.join(',') : v)?.trim() ?? null;
    };
    const trusted = this.config.signing?.keys.find((k) => k.id === signature.keyId);
    const publicKey = trusted ? publicKeyOf(trusted.publicKey) : null;
    return {
      form: signature.form,
      keyId: signature.keyId,
      timestamp: signature.form === 'beacon' ? (header(SIGNATURE_HEADERS.timestamp) ?? '') : signature.signedAt.toISOString(),
      nonce: signature.nonce,
      signature: signature.form === 'beacon' ? header(SIGNATURE_HEADERS.signature) : null,
      publicKey: publicKey ? rawPublicKeyBase64(publicKey) : null,
    };
  }

  async execute(
    received: string,
    value: unknown,
    submitter: string | null,
    traceparent: string | null,
    checks: SubmitChecks = {},
  ): Promise<SubmitResult> {
    // The signature is verified first and once, on the bytes received, before anything reads the spec.
    const signature = checks.bytes ? checkSignature(this.config, { body: checks.bytes, value, headers: checks.headers ?? {} }) : null;
    // A signature may cover less than the body (the Go runner's v1 form leaves zero values out): read what it covers.
    const result = normaliseJobSpec(signature?.readAs ?? value, this.config);
    if (!result.ok) {
      const n = result.problems.length;
      throw new ApiError(400, 'invalid_spec', `job spec rejected: ${n} problem${n === 1 ? '' : 's'}`, result.problems);
    }
    const guard = {
      nonce: signature
        ? { keyId: signature.keyId, nonce: signature.nonce, signedAt: signature.signedAt, expiresAt: signature.nonceExpiresAt }
        : undefined,
      maxInFlight: checks.maxInFlight,
    };
    // Refused before a connection is taken, and at once (not queued): a queue would hold the request and its body.
    const large = result.spec.cells > PLAN_ONE_STATEMENT_CELLS;
    if (large && this.largePlannings >= MAX_CONCURRENT_LARGE_PLANNINGS) {
      throw new ApiError(
        503,
        'planning_busy',
        `${this.largePlannings} large jobs (over ${PLAN_ONE_STATEMENT_CELLS} cells) are being planned, the most at once; ` +
          `job ${result.spec.id} (${result.spec.cells} cells) was not stored: retry in ${PLANNING_BUSY_RETRY_S} s`,
        undefined,
        { 'retry-after': String(PLANNING_BUSY_RETRY_S) },
      );
    }
    if (large) this.largePlannings += 1;
    let outcome: Awaited<ReturnType<JobRepository['submit']>>;
    try {
      outcome = await this.jobs.submit({
        spec: result.spec,
        received,
        hash: result.hash,
        submitter,
        traceparent,
        guard,
        ...(signature ? { signature: this.storedSignature(signature, checks.headers ?? {}) } : {}),
      });
    } finally {
      if (large) this.largePlannings -= 1;
    }
    switch (outcome.kind) {
      case 'created':
        return { status: 201, body: { id: outcome.jobId, cells: outcome.cells, status: 'queued', created: true } };
      case 'existing':
        return { status: 200, body: { id: outcome.jobId, cells: outcome.cells, status: outcome.status, created: false } };
      case 'conflict':
        throw new ApiError(409, 'job_conflict', `job ${outcome.jobId} already exists with different content; submit it under another id`, [
          { path: '$.id', message: `job ${outcome.jobId} already exists with different content` },
        ]);
      case 'nonce_replayed':
        throw replayed(outcome.keyId);
      case 'too_many_in_flight':
        throw new ApiError(
          429,
          'too_many_jobs_in_flight',
          `${submitter ?? 'this submitter'} already has ${outcome.inFlight} jobs queued or running, the most allowed (limits.maxJobsInFlightPerToken = ${outcome.limit}); wait for one to finish or cancel one`,
          [{ path: '$', message: `at most ${outcome.limit} jobs in flight per token` }],
          { 'retry-after': '30' },
        );
      case 'planning_timed_out':
        // The database was too slow for this job now (overloaded, or a statement_timeout set very low): nothing was
        // stored; the same submission may succeed later.
        throw new ApiError(
          503,
          'planning_timed_out',
          `storing job ${outcome.jobId} (${outcome.cells} cells) overran the database's statement timeout with ${outcome.planned} cells planned; ` +
            'nothing was stored: retry later, or submit a smaller job',
          undefined,
          { 'retry-after': '30' },
        );
    }
  }
}
