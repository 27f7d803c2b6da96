import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { NotificationRepository } from '@beacon/db';
import {
  OUTBOX_STATES,
  SINK_DEFAULTS,
  SINK_ID_PATTERN,
  type BeaconConfig,
  type NotificationDeliveryView,
  type NotificationOutboxView,
  type NotificationRetryView,
  type NotificationSummaryView,
  type OutboxState,
} from '@beacon/domain';
import type { z } from 'zod';
import { ApiError } from '../api/api-error.js';
import { bigintId, bigintIdParam, limit, noQuery, numericCursor, oneOf, query, Refusal, single, ValidInput } from '../api/edge-input.js';
import { RequireRole } from '../auth/roles.decorator.js';
import { BEACON_CONFIG } from '../tokens.js';
import { NotificationsService } from './notifications.service.js';

const sinkId = (v: string) => (SINK_ID_PATTERN.test(v) ? v : new Refusal(`must be a sink id matching ${SINK_ID_PATTERN.source}`));
const outboxQuery = query({
  sink: single(sinkId),
  state: single(oneOf(OUTBOX_STATES)),
  limit: limit(50, 1000),
  cursor: single(numericCursor),
});
const deliveriesQuery = query({ sink: single(sinkId), outbox: single(bigintId), limit: limit(50, 1000), cursor: single(numericCursor) });

/**
 * The notification outbox and its delivery log: reads for viewers, the retry of a dead delivery for operators. Sinks
 * are shown by id, kind and host: a sink's URL may be a secret and is never answered.
 */
@Controller('api/v1/notifications')
export class NotificationsController {
  constructor(
    private readonly repo: NotificationRepository,
    private readonly service: NotificationsService,
    @Inject(BEACON_CONFIG) private readonly config: BeaconConfig,
  ) {}

  @Get()
  async summary(@Query(new ValidInput(noQuery)) _q: unknown): Promise<NotificationSummaryView> {
    const hosts = new Map(this.service.sinks.map((s) => [s.id, s.host]));
    return {
      sinks: (this.config.notifications?.sinks ?? []).map((s) => ({ id: s.id, kind: s.kind, host: hosts.get(s.id) ?? null })),
      outbox: await this.repo.summary(),
    };
  }

  @Get('outbox')
  outbox(
    @Query(new ValidInput(outboxQuery)) q: z.output<typeof outboxQuery>,
  ): Promise<{ items: NotificationOutboxView[]; nextCursor: string | null }> {
    return this.repo.outbox({ sinkId: q.sink, state: q.state as OutboxState | undefined }, q.limit, q.cursor ?? null);
  }

  @Get('deliveries')
  deliveries(
    @Query(new ValidInput(deliveriesQuery)) q: z.output<typeof deliveriesQuery>,
  ): Promise<{ items: NotificationDeliveryView[]; nextCursor: string | null }> {
    return this.repo.deliveries({ sinkId: q.sink, outboxId: q.outbox }, q.limit, q.cursor ?? null);
  }

  /**
   * A dead delivery back to pending, with its sink's `maxAttempts` more attempts (8 for a sink no longer configured).
   * 404 for no such row, 409 for a row that is not dead.
   */
  @Post('outbox/:id/retry')
  @HttpCode(200)
  @RequireRole('operator')
  async retry(
    @Param('id', new ValidInput(bigintIdParam)) id: string,
    @Query(new ValidInput(noQuery)) _q: unknown,
  ): Promise<NotificationRetryView> {
    const budgets = new Map((this.config.notifications?.sinks ?? []).map((s) => [s.id, s.maxAttempts]));
    const out = await this.repo.retry(id, budgets, SINK_DEFAULTS.maxAttempts);
    if (out === 'not_found') throw new ApiError(404, 'not_found', `no notification ${id}`);
    if (out === 'not_dead')
      throw new ApiError(409, 'not_dead', `notification ${id} is not dead: only a dead-lettered delivery can be retried`);
    return out;
  }
}
