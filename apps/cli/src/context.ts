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

/** The API client, pointed at BEACON_API_URL (default http://127.0.0.1:8787) with BEACON_TOKEN when set. */
export function apiClient(): BeaconApiClient {
  return new BeaconApiClient(process.env.BEACON_API_URL || 'http://127.0.0.1:8787', process.env.BEACON_TOKEN || null);
}
