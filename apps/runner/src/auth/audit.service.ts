import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuditEntry, SecurityRepository } from '@beacon/db';
import { redactSecretsDeep } from '@beacon/domain';
import { AuditSummaries, chargedRefusal, SUMMARY_INTERVAL_MS } from './audit-summary.js';
import type { FailedAuthLimiter } from './auth-limits.js';
import { FAILED_AUTH_LIMITER, SECURITY_REPOSITORY } from './security.tokens.js';

/** Writes audit rows without holding up responses; `flush()` waits for the ones still being written. */
@Injectable()
export class AuditService {
  private readonly log = new Logger('audit');
  private readonly pending = new Set<Promise<void>>();

  /** Refusals a flood can multiply, summed per address and written every few seconds (see AuditSummaries). */
  private readonly summaries = new AuditSummaries();
  private readonly summaryTimer = setInterval(() => this.writeSummaries(), SUMMARY_INTERVAL_MS).unref();

  constructor(
    @Inject(SECURITY_REPOSITORY) private readonly repo: SecurityRepository,
    @Inject(FAILED_AUTH_LIMITER) private readonly failures: FailedAuthLimiter,
  ) {}

  private writeSummaries(): void {
    for (const row of this.summaries.drain()) this.record(row);
  }

  record(raw: AuditEntry): void {
    // A refusal before authentication costs its address a point of the failure allowance; past it, it is summed.
    if (chargedRefusal(raw)) {
      this.track(this.failures.attempt(raw.remoteAddress).then((d) => this.keep(raw, !d.allowed)));
      return;
    }
    this.keep(raw, false);
  }

  private keep(raw: AuditEntry, pastAllowance: boolean): void {
    if (this.summaries.absorb(raw, pastAllowance)) return;
    const entry = redactSecretsDeep(raw); // a path may carry a key a client pasted into it
    this.track(
      this.repo.audit(entry).catch((err: unknown) => {
        this.log.error(
          `could not write the audit row for ${entry.method} ${entry.path}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }),
    );
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Resolves once every row recorded so far is written (or has failed), summaries included. */
  async flush(): Promise<void> {
    do {
      while (this.pending.size > 0) await Promise.all([...this.pending]);
      this.writeSummaries();
    } while (this.pending.size > 0);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.summaryTimer);
    await this.flush();
  }
}
