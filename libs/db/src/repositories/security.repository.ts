import type { DataSource } from 'typeorm';
import { queryRows } from './query.js';

/** One mutating API call, as the audit log keeps it. */
export interface AuditEntry {
  /** Token name, `local` (open daemon) or `anonymous` (refused before a token was recognised). */
  principal: string;
  role: string | null;
  method: string;
  /** Path without the query string. */
  path: string;
  /** The job (or other object) the call was about, when known. */
  targetId: string | null;
  status: number;
  /** The error code of a refused call. */
  error: string | null;
  remoteAddress: string | null;
  /** How many requests, refused alike, this row stands for (1 unless summarised). */
  occurrences?: number;
}

/** The audit log, the signed-submission nonces, and the ownership reads authorisation needs. */
export class SecurityRepository {
  constructor(private readonly ds: DataSource) {}

  async audit(e: AuditEntry): Promise<void> {
    await queryRows(
      this.ds,
      `INSERT INTO audit_log (principal, role, method, path, target_id, status, error, remote_address, occurrences)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [e.principal, e.role, e.method, e.path, e.targetId, e.status, e.error, e.remoteAddress, e.occurrences ?? 1],
    );
  }

  /** Forgets nonces whose timestamps are too old to be accepted anyway; returns how many. */
  async deleteExpiredNonces(): Promise<number> {
    const rows = await queryRows<{ '?column?': number }>(this.ds, `DELETE FROM spec_nonces WHERE expires_at < now() RETURNING 1`);
    return rows.length;
  }

  /** Who submitted a job: `{ found: false }` when there is no such job. */
  async jobSubmitter(jobId: string): Promise<{ found: boolean; submitter: string | null }> {
    const [row] = await queryRows<{ submitter: string | null }>(this.ds, 'SELECT submitter FROM jobs WHERE id = $1', [jobId]);
    return row ? { found: true, submitter: row.submitter } : { found: false, submitter: null };
  }
}
