import { Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import type { BeaconConfig, Page, Principal, ScheduleDetailView, ScheduleRunView, ScheduleView } from '@beacon/domain';
import { SCHEDULE_NAME_PATTERN } from '@beacon/domain';
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { checkSignature } from '../auth/signature.check.js';
import { CurrentPrincipal } from '../auth/request-context.js';
import { RequireRole } from '../auth/roles.decorator.js';
import { limit, noQuery, query, Refusal, single, ValidInput } from '../api/edge-input.js';
import { readJsonBody } from '../api/read-body.js';
import { BEACON_CONFIG } from '../tokens.js';
import { SchedulesService } from './schedules.service.js';

/** A path parameter naming a schedule: the name's own pattern (whether it exists is the handler's 404). */
const nameParam = single((v) => (SCHEDULE_NAME_PATTERN.test(v) ? v : new Refusal(`must match ${SCHEDULE_NAME_PATTERN.source}`)))
  .refine((v) => v !== undefined, { message: 'is required' })
  .transform((v) => v);

const detailQuery = query({ ticks: limit(20, 500) });

/** Schedules: viewers read, operators change. */
@Controller('api/v1/schedules')
export class SchedulesController {
  constructor(
    private readonly schedules: SchedulesService,
    @Inject(BEACON_CONFIG) private readonly config: BeaconConfig,
  ) {}

  @Get()
  async list(@Query(new ValidInput(noQuery)) _q: unknown): Promise<Page<ScheduleView>> {
    return { items: await this.schedules.list(), nextCursor: null };
  }

  @Get(':name')
  get(
    @Param('name', new ValidInput(nameParam)) name: string,
    @Query(new ValidInput(detailQuery)) q: z.output<typeof detailQuery>,
  ): Promise<ScheduleDetailView> {
    return this.schedules.get(name, q.ticks);
  }

  /**
   * Creates a schedule. Where submissions must be signed (`signing.required`), so must this request: its runs are
   * submissions made later on its behalf.
   */
  @Post()
  @RequireRole('operator')
  async create(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() principal: Principal): Promise<void> {
    const body = await readJsonBody(req, this.config.limits.maxBodyBytes);
    checkSignature(this.config, { body: body.bytes, value: body.value, headers: req.headers });
    const view = await this.schedules.create(body.value, principal);
    res
      .status(201)
      .location(`/api/v1/schedules/${encodeURIComponent(view.name)}`)
      .json(view);
  }

  /** Changes the overlap, catch-up and retention settings. */
  @Patch(':name')
  @RequireRole('operator')
  async update(@Param('name', new ValidInput(nameParam)) name: string, @Req() req: Request): Promise<ScheduleView> {
    const body = await readJsonBody(req, this.config.limits.maxBodyBytes);
    return this.schedules.update(name, body.value);
  }

  @Post(':name/pause')
  @HttpCode(200)
  @RequireRole('operator')
  pause(@Param('name', new ValidInput(nameParam)) name: string, @Query(new ValidInput(noQuery)) _q: unknown): Promise<ScheduleView> {
    return this.schedules.pause(name);
  }

  @Post(':name/resume')
  @HttpCode(200)
  @RequireRole('operator')
  resume(@Param('name', new ValidInput(nameParam)) name: string, @Query(new ValidInput(noQuery)) _q: unknown): Promise<ScheduleView> {
    return this.schedules.resume(name);
  }

  @Post(':name/run-now')
  @HttpCode(201)
  @RequireRole('operator')
  runNow(@Param('name', new ValidInput(nameParam)) name: string, @Query(new ValidInput(noQuery)) _q: unknown): Promise<ScheduleRunView> {
    return this.schedules.runNow(name);
  }

  @Delete(':name')
  @RequireRole('operator')
  remove(
    @Param('name', new ValidInput(nameParam)) name: string,
    @Query(new ValidInput(noQuery)) _q: unknown,
  ): Promise<{ name: string; removed: true }> {
    return this.schedules.remove(name);
  }
}
