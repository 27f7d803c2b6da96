import { Controller, Get, Query } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Principal, WhoamiView } from '@beacon/domain';
import { noQuery, ValidInput } from '../api/edge-input.js';
import { CurrentPrincipal } from '../auth/request-context.js';

export type { WhoamiView };

/** The trace link template of the environment, when it is an http(s) URL with a `{traceId}` place. */
export function traceUrlTemplate(value: string | undefined): string | null {
  if (!value || !value.includes('{traceId}')) return null;
  try {
    const u = new URL(value.replaceAll('{traceId}', '0'));
    return u.protocol === 'http:' || u.protocol === 'https:' ? value : null;
  } catch {
    return null;
  }
}

/** Express's router as far as the route list goes. */
interface RouterStack {
  router?: { stack: { route?: { path?: unknown; methods?: Record<string, boolean> } }[] };
}

/**
 * `GET /api/v1/whoami`: the caller's token name and role (viewer and up), and the job actions the daemon offers, so
 * that a client shows only the actions the role may take on this daemon. The server still checks every action: this
 * only spares a user buttons that would be refused.
 */
@Controller('api/v1/whoami')
export class WhoamiController {
  private actions: string[] | null = null;
  private readonly traceUrl = traceUrlTemplate(process.env.BEACON_TRACE_URL);

  constructor(private readonly adapter: HttpAdapterHost) {}

  @Get()
  get(@Query(new ValidInput(noQuery)) _q: unknown, @CurrentPrincipal() principal: Principal): WhoamiView {
    return { name: principal.name, role: principal.role, kind: principal.kind, jobActions: this.jobActions(), traceUrl: this.traceUrl };
  }

  /** Read once, on the first request, when every route is registered. */
  private jobActions(): string[] {
    if (this.actions) return this.actions;
    const app = this.adapter.httpAdapter.getInstance<RouterStack>();
    const found = new Set<string>();
    for (const layer of app.router?.stack ?? []) {
      const p = layer.route?.path;
      const m = typeof p === 'string' ? /^\/api\/v1\/jobs\/:id\/([a-z-]+)$/.exec(p) : null;
      if (m && layer.route?.methods?.post) found.add(m[1]!);
    }
    return (this.actions = [...found].sort());
  }
}
