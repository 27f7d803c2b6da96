import { Inject, Injectable } from '@nestjs/common';
import { ScheduleRepository, type ScheduleRecord, type ScheduleTickRecord } from '@beacon/db';
import {
  type BeaconConfig,
  formatEvery,
  type Principal,
  readScheduleRequest,
  readScheduleUpdate,
  type ScheduleDetailView,
  type ScheduleRunView,
  type ScheduleTickView,
  type ScheduleView,
} from '@beacon/domain';
import type { BeaconMetrics } from '@beacon/observability';
import { ApiError } from '../api/api-error.js';
import { BEACON_CONFIG, METRICS } from '../tokens.js';
import { DAEMON_ID, recordFiring } from './schedule-ticker.js';

function notFound(name: string): ApiError {
  return new ApiError(404, 'schedule_not_found', `no schedule named ${name}`, [{ path: 'name', message: 'no such schedule' }]);
}

/** A schedule as the API shows it. */
export function scheduleView(s: ScheduleRecord): ScheduleView {
  return {
    name: s.name,
    cadence: s.cadence.kind === 'every' ? { ...s.cadence, every: formatEvery(s.cadence.everyMs) } : s.cadence,
    paused: s.paused,
    overlap: s.overlap,
    catchUp: s.catchUp,
    keepRuns: s.keepRuns,
    keepDays: s.keepDays,
    nextRunAt: s.nextRunAt?.toISOString() ?? null,
    runs: s.runs,
    lastRun: s.lastRun,
    createdAt: s.createdAt.toISOString(),
    createdBy: s.createdBy,
    cells: s.spec.cells,
  };
}

/** A tick row as the API shows it. */
export function tickView(t: ScheduleTickRecord): ScheduleTickView {
  return {
    tick: t.tick.toISOString(),
    outcome: t.outcome,
    jobId: t.jobId,
    run: t.run,
    manual: t.manual,
    firedAt: t.firedAt.toISOString(),
    daemon: t.daemon,
    missedCount: t.missedCount,
    missedUntil: t.missedUntil?.toISOString() ?? null,
    missedExact: t.missedExact,
  };
}

/** `/api/v1/schedules`: reads and changes, each one repository call. */
@Injectable()
export class SchedulesService {
  constructor(
    private readonly schedules: ScheduleRepository,
    @Inject(BEACON_CONFIG) private readonly config: BeaconConfig,
    @Inject(METRICS) private readonly metrics: BeaconMetrics,
  ) {}

  async list(): Promise<ScheduleView[]> {
    return (await this.schedules.list()).map(scheduleView);
  }

  async get(name: string, ticks: number): Promise<ScheduleDetailView> {
    const s = await this.schedules.get(name);
    if (!s) throw notFound(name);
    return { ...scheduleView(s), spec: s.spec, ticks: (await this.schedules.recentTicks(name, ticks)).map(tickView) };
  }

  async create(value: unknown, principal: Principal): Promise<ScheduleDetailView> {
    const read = readScheduleRequest(value, this.config);
    if (!read.ok) {
      const n = read.problems.length;
      throw new ApiError(400, 'invalid_schedule', `schedule rejected: ${n} problem${n === 1 ? '' : 's'}`, read.problems);
    }
    const createdBy = principal.kind === 'token' ? principal.name : null;
    if (!(await this.schedules.create(read.value, createdBy))) {
      throw new ApiError(409, 'schedule_exists', `a schedule named ${read.value.name} exists; remove it first or choose another name`, [
        { path: '$.name', message: 'already taken' },
      ]);
    }
    return this.get(read.value.name, 0);
  }

  async update(name: string, value: unknown): Promise<ScheduleView> {
    const read = readScheduleUpdate(value);
    if (!read.ok)
      throw new ApiError(
        400,
        'invalid_schedule',
        `update rejected: ${read.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
        read.problems,
      );
    if (!(await this.schedules.update(name, read.value))) throw notFound(name);
    return this.view(name);
  }

  async pause(name: string): Promise<ScheduleView> {
    if (!(await this.schedules.pause(name))) throw notFound(name);
    return this.view(name);
  }

  async resume(name: string): Promise<ScheduleView> {
    if (!(await this.schedules.resume(name))) throw notFound(name);
    return this.view(name);
  }

  async remove(name: string): Promise<{ name: string; removed: true }> {
    if (!(await this.schedules.remove(name))) throw notFound(name);
    return { name, removed: true };
  }

  async runNow(name: string): Promise<ScheduleRunView> {
    const tick = await this.schedules.runNow(name, DAEMON_ID);
    if (!tick) throw notFound(name);
    recordFiring(this.metrics, { now: tick.firedAt, ticks: [tick] });
    return { name, tick: tickView(tick) };
  }

  private async view(name: string): Promise<ScheduleView> {
    const s = await this.schedules.get(name);
    if (!s) throw notFound(name);
    return scheduleView(s);
  }
}
