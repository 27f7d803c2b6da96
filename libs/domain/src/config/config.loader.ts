import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../problems/config.error.js';
import type { BeaconConfig } from './config.types.js';
import { parseConfig } from './config.parser.js';
import { defaultConfig } from './default-config.data.js';
import { parseTokensEnv, TOKENS_ENV, tokenSetProblems } from '../auth/token-registry.js';

/** The file name looked for in the working directory. */
export const CONFIG_FILE_NAME = 'beacon.config.yaml';

/** Where {@link loadConfig} looks; `path` comes from `--config`. */
export interface LoadConfigOptions {
  path?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

function readConfigFile(file: string, origin: string, env: NodeJS.ProcessEnv): BeaconConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = existsSync(file) ? (error instanceof Error ? error.message : String(error)) : 'file not found';
    throw new ConfigError([{ path: '(file)', message: `cannot read the config file (${origin}): ${reason}` }], file);
  }
  return parseConfig(text, file, env);
}

/**
 * Loads the configuration from, in order: the explicit `path`, `env.BEACON_CONFIG`,
 * `<cwd>/beacon.config.yaml` if it exists, else the built-in defaults. Relative paths are resolved
 * against `cwd`.
 *
 * @throws ConfigError when an explicit or `BEACON_CONFIG` file is missing or the file is invalid.
 */
export function loadConfig(opts: LoadConfigOptions): BeaconConfig {
  return withEnvTokens(loadConfigFile(opts), opts.env);
}

function loadConfigFile(opts: LoadConfigOptions): BeaconConfig {
  if (opts.path !== undefined && opts.path !== '') {
    return readConfigFile(resolve(opts.cwd, opts.path), 'from --config', opts.env);
  }
  const fromEnv = opts.env.BEACON_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') {
    return readConfigFile(resolve(opts.cwd, fromEnv), 'from BEACON_CONFIG', opts.env);
  }
  const local = resolve(opts.cwd, CONFIG_FILE_NAME);
  if (existsSync(local)) return readConfigFile(local, 'found in the working directory', opts.env);
  return defaultConfig();
}

/** Adds the tokens of `BEACON_AUTH_TOKENS` (`name:role:hash` …) to the configured ones. */
function withEnvTokens(config: BeaconConfig, env: NodeJS.ProcessEnv): BeaconConfig {
  const text = env[TOKENS_ENV];
  if (!text || text.trim() === '') return config;
  const parsed = parseTokensEnv(text);
  const tokens = [...(config.auth?.tokens ?? []), ...parsed.tokens];
  const problems = [...parsed.problems, ...tokenSetProblems(tokens, 'auth.tokens + BEACON_AUTH_TOKENS')];
  if (problems.length > 0) throw new ConfigError(problems, TOKENS_ENV);
  return { ...config, auth: { tokens } };
}
