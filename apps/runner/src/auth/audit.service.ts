import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuditEntry, SecurityRepository } from '@beacon/db';
import { redactSecretsDeep } from '@beacon/domain';
import { AuditSummaries, SUMMARY_INTERVAL_MS } from './audit-summary.js';
import { SECURITY_REPOSITORY } from './security.tokens.js';

/** Writes audit rows without holding up responses; `flush()` waits for the ones still being written. */
@Injectable()
export class AuditService {
  private readonly log = new Logger('audit');
  private readonly pending = new Set<Promise<void>>();

  /** Refusals a flood can multiply, summed per address and written every few seconds (see AuditSummaries). */
  private readonly summaries = new AuditSummaries();
  private readonly summaryTimer = setInterval(() => this.writeSummaries(), SUMMARY_INTERVAL_MS).unref();

  constructor(@Inject(SECURITY_REPOSITORY) private readonly repo: SecurityRepository) {}

  private writeSummaries(): void {
    for (const row of this.summaries.drain()) this.record(row);
  }

  record(raw: AuditEntry): void {
    if (this.summaries.absorb(raw)) return;
    const entry = redactSecretsDeep(raw); // a path may carry a key a client pasted into it
    const p = this.repo.audit(entry).catch((err: unknown) => {
      this.log.error(`could not write the audit row for ${entry.method} ${entry.path}: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Resolves once every row recorded so far is written (or has failed). */
  async flush(): Promise<void> {
    this.writeSummaries();
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.summaryTimer);
    await this.flush();
  }
}
