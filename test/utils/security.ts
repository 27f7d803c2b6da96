import type { INestApplication } from '@nestjs/common';
import { defaultConfig, hashToken, type BeaconConfig, type Role } from '@beacon/domain';
import { AuditService } from '../../apps/runner/src/auth/audit.service.js';

/** One token per role, plus a second submitter, with their secrets (the config holds only hashes). */
export const TOKENS = {
  viewer: { name: 'vera', role: 'viewer', secret: 'bct_test-viewer-secret' },
  submitter: { name: 'sam', role: 'submitter', secret: 'bct_test-submitter-secret' },
  submitter2: { name: 'sue', role: 'submitter', secret: 'bct_test-submitter2-secret' },
  operator: { name: 'otto', role: 'operator', secret: 'bct_test-operator-secret' },
  admin: { name: 'ada', role: 'admin', secret: 'bct_test-admin-secret' },
} as const satisfies Record<string, { name: string; role: Role; secret: string }>;

/** The default configuration with every test token configured (as hashes) and optional overrides. */
export function securedConfig(
  over: Omit<Partial<BeaconConfig>, 'limits'> & { limits?: Partial<BeaconConfig['limits']> } = {},
): BeaconConfig {
  const base = defaultConfig();
  return {
    ...base,
    ...over,
    limits: { ...base.limits, ...over.limits },
    auth: over.auth ?? { tokens: Object.values(TOKENS).map((t) => ({ name: t.name, role: t.role, hash: hashToken(t.secret) })) },
  };
}

/** Every route the Nest application registered, read from its Express router: new endpoints are included. */
export function listRoutes(app: INestApplication): { method: string; path: string }[] {
  const instance = app.getHttpAdapter().getInstance() as { router?: { stack: unknown[] }; _router?: { stack: unknown[] } };
  const stack = (instance.router ?? instance._router)?.stack ?? [];
  const out: { method: string; path: string }[] = [];
  for (const layer of stack as { route?: { path: string; methods: Record<string, boolean> } }[]) {
    if (!layer.route) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && method !== '_all') out.push({ method: method.toUpperCase(), path: layer.route.path });
    }
  }
  return out;
}

/** Waits until every audit row of the requests answered so far is written. */
export function flushAudit(app: INestApplication): Promise<void> {
  return app.get(AuditService).flush();
}

/** A request with an optional bearer token; streaming answers (SSE) are cut once the status is known. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  opts: { token?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
  const ctl = new AbortController();
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body: opts.body, signal: ctl.signal });
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    ctl.abort();
    return { status: res.status, headers: res.headers, body: null };
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON (metrics) */
  }
  return { status: res.status, headers: res.headers, body };
}
