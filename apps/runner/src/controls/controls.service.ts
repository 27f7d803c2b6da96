import { Inject, Injectable } from '@nestjs/common';
import { ControlsRepository, type LifecycleRepository } from '@beacon/db';
import {
  ENGINE_LIMITS,
  type BeaconConfig,
  DaemonView,
  JobPauseView,
  KeyControlView,
  Page,
  Principal,
  Problem,
  RetryView,
} from '@beacon/domain';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { ApiError } from '../api/api-error.js';
import { invalidParameters, problemsOf, textProblem } from '../api/edge-input.js';
import { BEACON_CONFIG, LIFECYCLE_REPOSITORY } from '../tokens.js';
import { daemonView, keyControlView } from './controls.views.js';

/** Most cells one retry request may name. */
export const MAX_RETRY_CELLS = 10_000;

const cellId = z.string().regex(/^[1-9]\d{0,17}$/, 'must be a cell (execution) id: a positive integer of at most 18 digits');

/** `POST /jobs/:id/retry`: every failed cell (`{}` or `{"failed": true}`), or the failed ones of `cells`. */
const retryBody = z
  .strictObject({
    failed: z.literal(true, 'must be true (re-run every failed cell), or left out').optional(),
    cells: z
      .array(cellId)
      .min(1, 'must name at least one cell')
      .max(MAX_RETRY_CELLS, `must name at most ${MAX_RETRY_CELLS} cells`)
      .optional(),
  })
  .refine((b) => !(b.failed && b.cells), { message: 'give either failed or cells, not both', path: ['cells'] });

const text = (field: string) =>
  z.string(`must be a string naming the ${field}`).superRefine((v, ctx) => {
    const problem = v === '' ? 'must not be empty' : textProblem(v, 128);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A (region, model) in a body. */
const keyBody = z.strictObject({ region: text('region'), model: text('model') });

const MAX_KEY_CONCURRENCY = ENGINE_LIMITS.maxKeyConcurrency;

/** `POST /controls/keys/concurrency`: the override (calls of the key in flight across all daemons), or null to remove it. */
const concurrencyBody = keyBody.extend({
  concurrency: z.union(
    [
      z
        .number()
        .int('must be a whole number')
        .min(0, 'must be 0 or more')
        .max(MAX_KEY_CONCURRENCY, `must be at most ${MAX_KEY_CONCURRENCY} (the most a region's concurrency may be configured to)`),
      z.null(),
    ],
    `must be a whole number from 0 to ${MAX_KEY_CONCURRENCY}, or null to remove the override`,
  ),
});

/** Parses a JSON body with `schema`, or 400 naming each field and its problem. Nothing has been written yet. */
function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const problems: Problem[] = problemsOf(parsed.error);
  throw invalidParameters(problems);
}

/**
 * The operator controls: re-running failed cells, pausing and resuming a job or a (region, model), a (region,
 * model)'s concurrency override, draining a daemon, and the daemons view. Every change is one statement of a
 * `libs/db` repository; who asked is the token's name (the audit log records each request).
 */
@Injectable()
export class ControlsService {
  private readonly controls: ControlsRepository;

  constructor(
    @Inject(LIFECYCLE_REPOSITORY) private readonly lifecycle: LifecycleRepository,
    @Inject(BEACON_CONFIG) private readonly config: BeaconConfig,
    ds: DataSource,
  ) {
    this.controls = new ControlsRepository(ds);
  }

  async retry(jobId: string, body: unknown): Promise<RetryView> {
    const b = parseBody(retryBody, body);
    const out = await this.lifecycle.rerunFailed(jobId, b.cells ?? null);
    if (!out.found) throw jobNotFound(jobId);
    if (out.refused === 'cancelled') throw new ApiError(409, 'job_cancelled', `job ${jobId} was cancelled: its cells are not re-run`);
    if (out.refused === 'budget_exhausted')
      throw new ApiError(409, 'job_over_budget', `job ${jobId} ran out of its max_cost: its cells are not re-run`);
    if (out.cellIds.length === 0) {
      const what = b.cells ? 'none of the cells named is a failed cell of this job' : 'it has no failed cell';
      throw new ApiError(409, 'nothing_to_retry', `nothing to re-run in job ${jobId}: ${what}`);
    }
    return { id: jobId, previousStatus: out.previousStatus, status: 'running', retried: out.cellIds.length, cellIds: out.cellIds };
  }

  async setJobPaused(jobId: string, paused: boolean, by: Principal): Promise<JobPauseView> {
    const out = await this.lifecycle.setJobPaused(jobId, paused, by.name);
    if (!out.found) throw jobNotFound(jobId);
    if (paused && !out.changed && out.pausedAt === null)
      throw new ApiError(409, 'job_finished', `job ${jobId} has finished (${out.status}): there is nothing to pause`);
    return {
      id: jobId,
      status: out.status,
      paused: out.pausedAt !== null,
      pausedAt: out.pausedAt?.toISOString() ?? null,
      pausedBy: out.pausedBy,
      changed: out.changed,
    };
  }

  async keys(): Promise<Page<KeyControlView>> {
    return { items: (await this.controls.keyControls()).map(keyControlView), nextCursor: null };
  }

  async setKeyPaused(paused: boolean, body: unknown, by: Principal): Promise<KeyControlView> {
    const b = parseBody(keyBody, body);
    this.checkKey(b.region, b.model);
    const k = await this.controls.changeKey(b.region, b.model, { paused }, by.name);
    return k ? keyControlView(k) : this.uncontrolled(b.region, b.model, by);
  }

  async setConcurrency(body: unknown, by: Principal): Promise<KeyControlView> {
    const b = parseBody(concurrencyBody, body);
    this.checkKey(b.region, b.model);
    const k = await this.controls.changeKey(b.region, b.model, { concurrency: b.concurrency }, by.name);
    return k ? keyControlView(k) : this.uncontrolled(b.region, b.model, by);
  }

  async daemons(): Promise<Page<DaemonView>> {
    return { items: (await this.controls.daemons()).map(daemonView), nextCursor: null };
  }

  async setDraining(id: string, draining: boolean, by: Principal): Promise<DaemonView> {
    const d = await this.controls.setDraining(id, draining, by.name);
    if (!d) throw new ApiError(404, 'not_found', `no daemon with id ${JSON.stringify(id)} (see GET /api/v1/daemons)`);
    return daemonView(d);
  }

  /** A (region, model) this configuration knows: 400 naming `region` or `model` otherwise, listing the known ones. */
  private checkKey(region: string, model: string): void {
    const problems: Problem[] = [];
    if (!this.config.regions[region])
      problems.push({ path: 'region', message: `unknown region; configured: ${Object.keys(this.config.regions).join(', ')}` });
    const m = this.config.models[model];
    if (!m) problems.push({ path: 'model', message: `unknown model; configured: ${Object.keys(this.config.models).join(', ')}` });
    else if (problems.length === 0 && !m.regions.includes(region))
      problems.push({ path: 'model', message: `not served in region ${region}; its regions: ${m.regions.join(', ')}` });
    if (problems.length > 0) throw invalidParameters(problems);
  }

  /** The answer for a key left with no control (not paused, no override). */
  private uncontrolled(region: string, model: string, by: Principal): KeyControlView {
    return {
      region,
      model,
      paused: false,
      pausedAt: null,
      pausedBy: null,
      concurrency: null,
      updatedAt: new Date().toISOString(),
      updatedBy: by.name,
    };
  }
}

function jobNotFound(id: string): ApiError {
  return new ApiError(404, 'not_found', `no job with id ${JSON.stringify(id)}`);
}
