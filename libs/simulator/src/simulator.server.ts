import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultConfig, SIMULATOR_BASE_URL } from '@beacon/domain';
import { handleRegionApi, type RegionApiContext } from './chat-completions.handler.js';
import { FaultInjector } from './fault-injector.js';
import { DEFAULT_FAULTS, mergeFaults, parseFaultUpdate } from './fault-settings.js';
import { readBody, sendJson } from './http-io.js';
import { RefusalDecider } from './refusal-override.js';
import { StatsRecorder } from './simulator-stats.js';
import type { RunningSimulator, SimulatorOptions } from './simulator.types.js';

/** Port of the built-in regions' base URLs (8788). */
export const DEFAULT_SIMULATOR_PORT = Number(new URL(SIMULATOR_BASE_URL).port);

const REGION_ID = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Starts the OpenAI-compatible simulator: `/<region>/v1/chat/completions` and `/<region>/v1/models` per region,
 * plus `GET /health`, `GET /_sim/stats`, `GET|POST /_sim/faults` and `POST /_sim/reset`.
 * Rejects with a RangeError on invalid options and with the listen error (e.g. EADDRINUSE) if the port is taken.
 */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const regions = checkOptions(opts);
  const host = opts.host ?? '127.0.0.1';
  const startedAt = Date.now();
  let faults = mergeFaults(DEFAULT_FAULTS, parseFaultUpdate(opts.faults ?? {}, regions));
  const setFaults = (update: unknown) => {
    faults = mergeFaults(faults, parseFaultUpdate(update, regions));
  };
  const ctx: RegionApiContext = {
    regions,
    apiKey: opts.apiKey ?? null,
    seed: opts.seed ?? 1,
    latencyScale: opts.latencyScale ?? 1,
    startedAt,
    faults: () => faults,
    injector: new FaultInjector(opts.seed ?? 1, startedAt),
    refusals: new RefusalDecider(opts.seed ?? 1),
    stats: new StatsRecorder(),
    pending: new Set(),
    open: new Map(),
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed)
        sendJson(res, 500, {
          error: {
            message: `simulator error: ${err instanceof Error ? err.message : String(err)}`,
            type: 'server_error',
            param: null,
            code: null,
          },
        });
      else res.destroy();
    });
  });
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const parts = new URL(req.url ?? '/', 'http://simulator').pathname.split('/').filter(Boolean);
    if (parts.length === 1 && parts[0] === 'health') return sendJson(res, 200, { status: 'ok', regions, uptimeMs: Date.now() - startedAt });
    if (parts[0] === '_sim') return control(req, res, parts.slice(1).join('/'));
    return handleRegionApi(ctx, req, res, parts);
  };
  const control = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const allow = (method: string) => {
      if (req.method === method) return true;
      sendJson(res, 405, { error: { message: `use ${method} for /_sim/${path}` } }, { allow: method });
      return false;
    };
    if (path === 'stats') {
      if (allow('GET')) sendJson(res, 200, ctx.stats.snapshot());
    } else if (path === 'reset') {
      if (allow('POST')) {
        ctx.stats.reset();
        sendJson(res, 200, ctx.stats.snapshot());
      }
    } else if (path === 'faults' && req.method === 'GET') {
      sendJson(res, 200, faults);
    } else if (path === 'faults') {
      if (!allow('POST')) return;
      try {
        setFaults(JSON.parse(await readBody(req)) as unknown);
      } catch (err) {
        const message = err instanceof SyntaxError ? 'body is not valid JSON' : err instanceof Error ? err.message : String(err);
        return sendJson(res, 400, { error: { message } });
      }
      sendJson(res, 200, faults);
    } else {
      sendJson(res, 404, { error: { message: `unknown control path /_sim/${path}; use stats, faults or reset` } });
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? DEFAULT_SIMULATOR_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `http://${urlHost(host)}:${(server.address() as AddressInfo).port}`;
  let closing: Promise<void> | null = null;
  return {
    url,
    baseUrlFor: (region) => `${url}/${region}/v1`,
    stats: () => ctx.stats.snapshot(),
    setFaults: (update) => setFaults(update),
    faults: () => mergeFaults(faults, {}),
    resetStats: () => ctx.stats.reset(),
    close: () => {
      closing ??= (async () => {
        for (const end of [...ctx.pending]) end();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await Promise.all([closed, ...ctx.open.values()]);
      })();
      return closing;
    },
  };
}

function checkOptions(opts: SimulatorOptions): string[] {
  const problems: string[] = [];
  const regions = opts.regions ?? Object.keys(defaultConfig().regions);
  if (opts.port !== undefined && !(Number.isInteger(opts.port) && opts.port >= 0 && opts.port <= 65535))
    problems.push('port: must be an integer from 0 to 65535');
  if (opts.seed !== undefined && !Number.isSafeInteger(opts.seed)) problems.push('seed: must be an integer');
  if (opts.latencyScale !== undefined && !(Number.isFinite(opts.latencyScale) && opts.latencyScale >= 0))
    problems.push('latencyScale: must be a number of 0 or more');
  if (opts.apiKey !== undefined && opts.apiKey !== null && opts.apiKey === '')
    problems.push('apiKey: must not be empty (use null for no key)');
  if (regions.length === 0) problems.push('regions: must name at least one region');
  for (const r of regions)
    if (!REGION_ID.test(r)) problems.push(`regions: "${r}" is not a region id (lower-case letters, digits and dashes)`);
  if (new Set(regions).size !== regions.length) problems.push('regions: must not repeat a region');
  if (problems.length) throw new RangeError(`invalid simulator options: ${problems.join('; ')}`);
  return [...regions];
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
