import { ApiRequestError } from '@beacon/api-client';
import type { TuiApi } from './tui-api.js';
import type { Control } from '../state/controls.reducer.js';

/** Sends one confirmed control through the API and says in one line what it did. */
export async function runControl(api: TuiApi, c: Control): Promise<string> {
  switch (c.kind) {
    case 'cancel': {
      const r = await api.cancelJob(c.jobId);
      if (r.alreadyFinished) return `job ${c.jobId} had already finished (${r.status}): nothing to cancel`;
      return `job ${c.jobId}: ${r.previousStatus} → ${r.status}, ${r.pendingCancelled} pending cell(s) cancelled, ${r.running} call(s) stopping`;
    }
    case 'retry': {
      const r = await api.retryJob(c.jobId, null);
      return `job ${c.jobId}: ${r.retried} failed cell(s) queued again, ${r.previousStatus} → ${r.status}`;
    }
    case 'pauseJob': {
      const r = await api.setJobPaused(c.jobId, c.paused);
      return `job ${c.jobId} (${r.status}): ${r.paused ? 'paused' : 'resumed'}${r.changed ? '' : ' (unchanged)'}`;
    }
    case 'pauseKey': {
      const r = await api.setKeyPaused(c.region, c.model, c.paused);
      return `${r.model} in ${r.region}: ${r.paused ? 'paused' : 'running'} on every daemon`;
    }
    case 'drain': {
      const r = await api.setDraining(c.daemonId, c.draining);
      const calling = r.claims.reduce((n, x) => n + x.calling, 0);
      return `daemon ${r.id}: ${r.draining ? `draining, ${calling} call(s) in flight` : 'claiming'}`;
    }
    case 'concurrency': {
      const r = await api.setKeyConcurrency(c.region, c.model, c.concurrency);
      return `${r.model} in ${r.region}: concurrency ${r.concurrency ?? "the region's"} per daemon`;
    }
  }
}

/** The status line for a control the API refused or could not take: the status code, and the API's own words. */
export function controlErrorText(err: unknown): string {
  if (err instanceof ApiRequestError) {
    const what = err.status === 403 ? 'refused' : err.status === 409 ? 'conflict' : err.status === 404 ? 'not found' : 'failed';
    return `${what} (${err.status}): ${err.message}`.replace(/\s+/g, ' ');
  }
  return `failed: ${err instanceof Error ? err.message : String(err)}`.replace(/\s+/g, ' ');
}
