import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { DaemonView, JobPauseView, KeyControlView, Page, Principal, RetryView } from '@beacon/domain';
import type { BeaconConfig, ErrorView } from '@beacon/domain';
import type { Request } from 'express';
import { ApiError } from '../api/api-error.js';
import { jobIdParam, noQuery, single, ValidInput } from '../api/edge-input.js';
import { readJsonBody } from '../api/read-body.js';
import { CurrentPrincipal, securityOf } from '../auth/request-context.js';
import { RequireRole } from '../auth/roles.decorator.js';
import { BEACON_CONFIG } from '../tokens.js';
import { ControlsService } from './controls.service.js';

const daemonIdParam = single()
  .refine((v) => v !== undefined, { message: 'is required' })
  .transform((v) => v);

/**
 * Operator controls over HTTP: operators change, viewers read (every GET). Each change is audited like every other
 * non-GET request (the audit log's principal is the token's name; its target the job, daemon or `region/model`).
 */
@Controller('api/v1')
export class ControlsController {
  constructor(
    private readonly controls: ControlsService,
    @Inject(BEACON_CONFIG) private readonly config: BeaconConfig,
  ) {}

  /** Re-runs the failed cells of a job (all, or those of `cells`), each with a fresh attempt budget. */
  @Post('jobs/:id/retry')
  @HttpCode(200)
  @RequireRole('operator')
  async retry(
    @Param('id', new ValidInput(jobIdParam)) id: string,
    @Query(new ValidInput(noQuery)) _q: unknown,
    @Req() req: Request,
  ): Promise<RetryView> {
    securityOf(req).target = id;
    return this.controls.retry(id, await this.body(req));
  }

  @Post('jobs/:id/pause')
  @HttpCode(200)
  @RequireRole('operator')
  async pauseJob(
    @Param('id', new ValidInput(jobIdParam)) id: string,
    @Query(new ValidInput(noQuery)) _q: unknown,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JobPauseView> {
    securityOf(req).target = id;
    return this.controls.setJobPaused(id, true, principal);
  }

  @Post('jobs/:id/resume')
  @HttpCode(200)
  @RequireRole('operator')
  async resumeJob(
    @Param('id', new ValidInput(jobIdParam)) id: string,
    @Query(new ValidInput(noQuery)) _q: unknown,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JobPauseView> {
    securityOf(req).target = id;
    return this.controls.setJobPaused(id, false, principal);
  }

  /** Every (region, model) paused or with a concurrency override. */
  @Get('controls/keys')
  keys(@Query(new ValidInput(noQuery)) _q: unknown): Promise<Page<KeyControlView>> {
    return this.controls.keys();
  }

  @Post('controls/keys/pause')
  @HttpCode(200)
  @RequireRole('operator')
  async pauseKey(
    @Query(new ValidInput(noQuery)) _q: unknown,
    @Req() req: Request,
    @CurrentPrincipal() p: Principal,
  ): Promise<KeyControlView> {
    const view = await this.controls.setKeyPaused(true, await this.body(req), p);
    securityOf(req).target = `${view.region}/${view.model}`;
    return view;
  }

  @Post('controls/keys/resume')
  @HttpCode(200)
  @RequireRole('operator')
  async resumeKey(
    @Query(new ValidInput(noQuery)) _q: unknown,
    @Req() req: Request,
    @CurrentPrincipal() p: Principal,
  ): Promise<KeyControlView> {
    const view = await this.controls.setKeyPaused(false, await this.body(req), p);
    securityOf(req).target = `${view.region}/${view.model}`;
    return view;
  }

  @Post('controls/keys/concurrency')
  @HttpCode(200)
  @RequireRole('operator')
  async concurrency(
    @Query(new ValidInput(noQuery)) _q: unknown,
    @Req() req: Request,
    @CurrentPrincipal() p: Principal,
  ): Promise<KeyControlView> {
    const view = await this.controls.setConcurrency(await this.body(req), p);
    securityOf(req).target = `${view.region}/${view.model}`;
    return view;
  }

  /** The daemons on this database with their claims per (region, model). */
  @Get('daemons')
  daemons(@Query(new ValidInput(noQuery)) _q: unknown): Promise<Page<DaemonView>> {
    return this.controls.daemons();
  }

  @Post('daemons/:id/drain')
  @HttpCode(200)
  @RequireRole('operator')
  async drain(
    @Param('id', new ValidInput(daemonIdParam)) id: string,
    @Query(new ValidInput(noQuery)) _q: unknown,
    @Req() req: Request,
    @CurrentPrincipal() p: Principal,
  ): Promise<DaemonView> {
    securityOf(req).target = id;
    return this.controls.setDraining(id, true, p);
  }

  @Post('daemons/:id/undrain')
  @HttpCode(200)
  @RequireRole('operator')
  async undrain(
    @Param('id', new ValidInput(daemonIdParam)) id: string,
    @Query(new ValidInput(noQuery)) _q: unknown,
    @Req() req: Request,
    @CurrentPrincipal() p: Principal,
  ): Promise<DaemonView> {
    securityOf(req).target = id;
    return this.controls.setDraining(id, false, p);
  }

  /** The request's JSON body, or undefined when it has none (a bare POST: `beacon retry JOB --failed`). */
  private async body(req: Request): Promise<unknown> {
    try {
      return (await readJsonBody(req, this.config.limits.maxBodyBytes)).value;
    } catch (err) {
      if (err instanceof ApiError && (err.getResponse() as ErrorView).error === 'empty_body') return undefined;
      throw err;
    }
  }
}
