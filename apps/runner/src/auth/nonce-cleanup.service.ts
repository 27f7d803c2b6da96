import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { SecurityRepository } from '@beacon/db';
import { SECURITY_REPOSITORY } from './security.tokens.js';

const EVERY_MS = 60_000;

/** Deletes signed-submission nonces once their timestamps are too old to be accepted (so forgetting them is safe). */
@Injectable()
export class NonceCleanupService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('nonces');
  private timer: NodeJS.Timeout | null = null;

  constructor(@Inject(SECURITY_REPOSITORY) private readonly repo: SecurityRepository) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One cleanup pass; returns how many nonces were deleted. */
  async sweep(): Promise<number> {
    try {
      return await this.repo.deleteExpiredNonces();
    } catch (err) {
      this.log.warn(`nonce cleanup failed: ${err instanceof Error ? err.message : String(err)}`);
      return 0;
    }
  }
}
