import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { type BeaconConfig, isLoopbackHost } from '@beacon/domain';
import type { NextFunction, Request, Response } from 'express';
import { BEACON_CONFIG } from '../tokens.js';
import { ApiError } from './api-error.js';
import { READ_METHODS } from './http-methods.js';
import { charsetRefusal, discardBody, parseContentType } from './read-body.js';

/**
 * The checks every request passes before routing, on which the browser-facing safety of the API rests:
 *
 * - `Host` must name this daemon (loopback names, the address the request arrived on, or `server.allowedHosts`):
 *   a page whose own name was re-pointed at 127.0.0.1 (DNS rebinding) sends its own name, and is refused with 421.
 * - `Origin`, when present, must be the daemon's own (same host as `Host`) or in `server.allowedOrigins`: a page on
 *   another site is refused with 403 even for reads, so a browser can neither change nor probe the API.
 * - On a daemon without tokens, a state-changing request must declare `Content-Type: application/json`: the types a
 *   cross-site form or a CORS "simple request" can send (text/plain, forms, none) are refused with 400 before anything
 *   runs. (With tokens, a cross-site page cannot add the Authorization header without a preflight this API never grants.)
 * - A JSON body in any charset but UTF-8 is refused with 415.
 *
 * Runs after the audit middleware, so every refused mutating request is audited. Refusals are answered here, in the
 * API's error shape; the refused body is read and discarded (bounded) so the client sees the answer.
 */
@Injectable()
export class EdgeMiddleware implements NestMiddleware {
  private readonly allowedHosts: string[];
  private readonly allowedOrigins: string[];
  private readonly tokens: boolean;

  constructor(@Inject(BEACON_CONFIG) config: BeaconConfig) {
    this.allowedHosts = (config.server?.allowedHosts ?? []).map((h) => h.toLowerCase());
    this.allowedOrigins = (config.server?.allowedOrigins ?? []).map((o) => o.toLowerCase());
    this.tokens = (config.auth?.tokens.length ?? 0) > 0;
  }

  use(req: Request, res: Response, next: NextFunction): void {
    const refusal = this.refusal(req);
    if (!refusal) return next();
    const answer = (): void => {
      if (res.headersSent || res.destroyed) return;
      for (const [k, v] of Object.entries(refusal.headers)) res.setHeader(k, v);
      res.status(refusal.getStatus()).json(refusal.getResponse());
    };
    if (READ_METHODS.has(req.method)) return answer();
    void discardBody(req).then(answer, answer);
  }

  private refusal(req: Request): ApiError | null {
    const host = req.headers.host;
    if (host !== undefined && !this.hostAllowed(host, req)) {
      return new ApiError(
        421,
        'unknown_host',
        `this daemon does not answer to the host name ${JSON.stringify(host.slice(0, 100))}; add it to server.allowedHosts if it is a name of this daemon`,
        [{ path: 'host', message: 'not a name of this daemon (loopback names, its address, or server.allowedHosts)' }],
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin, host)) {
      return new ApiError(
        403,
        'foreign_origin',
        `requests from the web origin ${JSON.stringify(origin.slice(0, 100))} are refused; add it to server.allowedOrigins to allow a browser page there`,
        [{ path: 'origin', message: "not this daemon's origin nor in server.allowedOrigins" }],
      );
    }
    const undecodable = undecodableSegment(req);
    if (undecodable) {
      return new ApiError(400, 'invalid_parameter', `${undecodable.name}: is not valid percent-encoded UTF-8`, [
        { path: undecodable.name, message: 'is not valid percent-encoded UTF-8' },
      ]);
    }
    if (READ_METHODS.has(req.method)) return null;
    const header = req.headers['content-type'];
    const type = header === undefined ? null : parseContentType(header);
    if (type && type.type === 'application/json') return charsetRefusal(type);
    if (!this.tokens) {
      return new ApiError(
        400,
        'invalid_content_type',
        `${req.method} requests must declare Content-Type: application/json (got ${header === undefined ? 'none' : JSON.stringify(header.slice(0, 100))}); ` +
          'this daemon has no API tokens, and only a JSON content type proves the request does not come from a web page on another site',
        [{ path: 'content-type', message: 'must be application/json' }],
      );
    }
    return null;
  }

  /** Loopback names (any port), the address the request arrived on (with its port or none), or a configured name. */
  private hostAllowed(header: string, req: Request): boolean {
    if (this.allowedHosts.includes('*')) return true;
    const parsed = splitHost(header);
    if (!parsed) return false;
    const { name, port } = parsed;
    if (isLoopbackHost(name)) return true;
    const local = (req.socket.localAddress ?? '').toLowerCase().replace(/^::ffff:(?=\d+\.)/, '');
    if (local && name.replace(/^\[(.*)\]$/, '$1') === local && (port === null || port === String(req.socket.localPort))) return true;
    return this.allowedHosts.some((entry) => {
      const e = splitHost(entry);
      return e !== null && e.name === name && (e.port === null || e.port === port);
    });
  }

  /** The daemon's own origin (the same host and port as `Host`), or a configured one. */
  private originAllowed(origin: string, host: string | undefined): boolean {
    if (this.allowedOrigins.includes('*')) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // `null` (sandboxed frames, file: pages) and anything unreadable
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (host !== undefined && url.host === host.toLowerCase().replace(/\.(?=:|$)/, '')) return true;
    return this.allowedOrigins.includes(`${url.protocol}//${url.host}`);
  }
}

/**
 * The first path segment that is not valid percent-encoded UTF-8 (`%zz`, `%c3%28`), named after the route parameter
 * in its place when a route's literal segments match (`/api/v1/jobs/%zz/cancel` names `id`), else `path`. Express
 * would refuse it too, but only once matching, after every route-bound step.
 */
function undecodableSegment(req: Request): { name: string } | null {
  const path = req.originalUrl.split('?')[0]!;
  if (!path.includes('%')) return null;
  const segments = path.split('/');
  const bad = segments.findIndex((seg) => {
    try {
      decodeURIComponent(seg);
      return false;
    } catch {
      return true;
    }
  });
  if (bad < 0) return null;
  for (const template of routeTemplates(req)) {
    const parts = template.split('/');
    if (parts.length !== segments.length || !parts[bad]!.startsWith(':')) continue;
    if (parts.every((p, i) => i === bad || p.startsWith(':') || p === segments[i])) return { name: parts[bad]!.slice(1) };
  }
  return { name: 'path' };
}

/** The path templates of the routes registered on the application's router (read once the app serves). */
function routeTemplates(req: Request): string[] {
  const app = req.app as unknown as { router?: { stack: { route?: { path?: unknown } }[] } };
  return (app.router?.stack ?? []).map((layer) => layer.route?.path).filter((p): p is string => typeof p === 'string');
}

/** `name[:port]` of a Host header or allow-list entry, the name lower-cased without a trailing dot; null when malformed. */
function splitHost(value: string): { name: string; port: string | null } | null {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!m) return null;
  return { name: m[1]!.toLowerCase().replace(/\.$/, ''), port: m[2] ?? null };
}
