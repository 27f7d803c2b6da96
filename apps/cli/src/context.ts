import { ConfigError, loadConfig, registerConfiguredSecrets, type BeaconConfig } from '@beacon/domain';
import { BeaconApiClient } from '@beacon/api-client';
import { CliError, EXIT } from './exit-codes.js';
import { note } from './output.js';

/** Options every command accepts. */
export interface GlobalOptions {
  config?: string;
}

/** Loads the configuration, turning a ConfigError into a usage error that lists every problem. */
export function readConfig(opts: GlobalOptions): BeaconConfig {
  try {
    const config = loadConfig({ path: opts.config, cwd: process.cwd(), env: process.env });
    const tooShort = registerConfiguredSecrets(config, process.env);
    if (tooShort.length > 0) note(`warning: ${tooShort.join(', ')}: shorter than 8 characters, so not hidden where an upstream echoes it`);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}

/** The default API address, when neither `--api` nor BEACON_API_URL gives one. */
export const DEFAULT_API_URL = 'http://127.0.0.1:8787';

/** The `--api` flag of this invocation (set by the program before a command runs). */
let apiFlag: string | undefined;

/** Records the global `--api` flag; checked when a command first needs the API. */
export function setApiFlag(value: string | undefined): void {
  apiFlag = value;
}

/**
 * The API address: `--api`, else BEACON_API_URL, else the default. Only http and https are spoken; an address
 * without a scheme (`localhost:8787`, which a URL parser reads as the scheme `localhost:`) is refused with the
 * address it most likely meant, naming where it came from.
 */
export function apiUrl(): string {
  const source = apiFlag !== undefined ? '--api' : process.env.BEACON_API_URL ? 'BEACON_API_URL' : null;
  const raw = (apiFlag ?? process.env.BEACON_API_URL ?? '').trim();
  if (source === null) return DEFAULT_API_URL;
  return checkApiUrl(raw, source);
}

/** `raw` if it is an http(s) URL, else a usage error naming `source` (a flag, a variable or an argument). */
export function checkApiUrl(raw: string, source: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') {
    try {
      new URL(raw);
      return raw;
    } catch {
      throw new CliError(`${source}: ${JSON.stringify(raw)} is not a valid URL`, EXIT.usage);
    }
  }
  if (scheme !== undefined)
    throw new CliError(`${source}: scheme ${scheme}:// is not supported; use http:// or https:// (got ${JSON.stringify(raw)})`, EXIT.usage);
  throw new CliError(`${source}: ${JSON.stringify(raw)} has no scheme; did you mean http://${raw.replace(/^\/+/, '')} ?`, EXIT.usage);
}

/**
 * BEACON_API_TIMEOUT_MS: how long the CLI waits on a silent daemon before giving up (default 60 s; a slow link may
 * want more). A value that is not a whole number of milliseconds from 100 to 3,600,000 is a usage error.
 */
export function apiTimeoutMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.BEACON_API_TIMEOUT_MS?.trim();
  if (!raw) return undefined;
  const n = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 100 && n <= 3_600_000))
    throw new CliError(
      `BEACON_API_TIMEOUT_MS: must be a whole number of milliseconds from 100 to 3600000 (got ${JSON.stringify(raw)})`,
      EXIT.usage,
    );
  return n;
}

/** The API client, pointed at {@link apiUrl} (or `url`) with BEACON_TOKEN when set. */
export function apiClient(url = apiUrl()): BeaconApiClient {
  return new BeaconApiClient(url, process.env.BEACON_TOKEN || null, { idleTimeoutMs: apiTimeoutMs() });
}
