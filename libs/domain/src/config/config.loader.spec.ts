import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../problems/config.error.js';
import { loadConfig } from './config.loader.js';

const withVersion = (version: string) => `prompt: { version: ${version}, template: "In {region_name}." }\n`;

describe(loadConfig.name, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'beacon-load-'));
    writeFileSync(join(dir, 'explicit.yaml'), withVersion('explicit'));
    writeFileSync(join(dir, 'from-env.yaml'), withVersion('from-env'));
    writeFileSync(join(dir, 'beacon.config.yaml'), withVersion('cwd'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers the explicit path, resolved against cwd', () => {
    const config = loadConfig({ path: 'explicit.yaml', cwd: dir, env: { BEACON_CONFIG: 'from-env.yaml' } });
    expect(config.prompt.version).toBe('explicit');
    expect(config.source).toBe(join(dir, 'explicit.yaml'));
  });

  it('uses BEACON_CONFIG when no path is given', () => {
    expect(loadConfig({ cwd: dir, env: { BEACON_CONFIG: join(dir, 'from-env.yaml') } }).prompt.version).toBe('from-env');
  });

  it('uses beacon.config.yaml in cwd next', () => {
    expect(loadConfig({ cwd: dir, env: {} }).prompt.version).toBe('cwd');
  });

  it('falls back to the built-in defaults', () => {
    rmSync(join(dir, 'beacon.config.yaml'));
    const config = loadConfig({ cwd: dir, env: { BEACON_CONFIG: '' } });
    expect(config.source).toBe('built-in defaults');
    expect(config.prompt.version).toBe('regional-v1');
  });

  it.each([
    [{ path: 'missing.yaml' }, 'from --config'],
    [{ env: { BEACON_CONFIG: 'missing.yaml' } }, 'from BEACON_CONFIG'],
  ])('rejects a missing explicit file (%p) instead of falling back', (opts, origin) => {
    const load = () => loadConfig({ cwd: dir, env: {}, ...opts });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(`${join(dir, 'missing.yaml')}: (file): cannot read the config file (${origin}): file not found`);
  });

  it('passes env through to the file for ${NAME} substitution', () => {
    writeFileSync(join(dir, 'beacon.config.yaml'), withVersion('"${PROMPT_VERSION}"'));
    expect(loadConfig({ cwd: dir, env: { PROMPT_VERSION: 'v-env' } }).prompt.version).toBe('v-env');
  });
});
