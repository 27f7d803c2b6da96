import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cliEnv, freePort, repoRoot, requireBuild } from '../utils/cli.js';
import { runProcess } from '../utils/process.js';

/**
 * Start-up of `beacon`: the version, the help and the API reads load only the command line, the domain library and the
 * API client, not the daemon's stack (NestJS, TypeORM and pg), the TUI (Ink, React) or the OpenTelemetry SDK, which
 * the commands that need them load when they run. Checked by the packages each run loads, not by a time
 * (`bench/cli-startup.mjs` measures the time).
 */

const bin = path.join(repoRoot, 'bin', 'beacon.js');
const hook = pathToFileURL(path.join(repoRoot, 'test', 'utils', 'module-trace.mjs')).href;
/** Packages of the daemon, the database, the TUI and the telemetry SDK. */
const HEAVY = ['typeorm', 'pg', '@nestjs/core', '@nestjs/common', 'ink', 'react', '@opentelemetry/sdk-node', 'prom-client', 'pino'];
let dir: string;
let closedApi: string;

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(path.join(os.tmpdir(), 'beacon-startup-'));
  closedApi = `http://127.0.0.1:${await freePort()}`;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `beacon ARGS` and returns its exit code, output and the packages it loaded. */
async function traced(args: string[], env: Record<string, string | undefined> = {}) {
  const file = path.join(dir, `trace-${Math.random().toString(36).slice(2)}.txt`);
  const r = await runProcess(process.execPath, ['--import', hook, bin, ...args], {
    env: cliEnv({ MODULE_TRACE_FILE: file, ...env }),
    cwd: repoRoot,
  });
  let loaded: string[] = [];
  try {
    loaded = [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))];
  } catch {
    // nothing loaded from node_modules
  }
  return { ...r, loaded };
}

describe('beacon start-up', () => {
  it.each([
    [['--version'], 0],
    [['--help'], 0],
    [['jobs', '--help'], 0],
    [['--api', 'CLOSED', 'jobs', '--json'], 6],
    [['--api', 'CLOSED', 'job', 'nightly-42'], 6],
    [['--api', 'CLOSED', 'executions', '--job', 'nightly-42', '--json'], 6],
  ])(
    'beacon %j loads neither the daemon, the database, the TUI nor the telemetry SDK',
    async (args, code) => {
      const r = await traced(args.map((a) => (a === 'CLOSED' ? closedApi : a)));
      expect(r.code).toBe(code);
      expect(r.loaded).toContain('commander');
      expect(r.loaded.filter((p) => HEAVY.includes(p))).toEqual([]);
    },
    60_000,
  );

  it('a command that needs the database still loads it when it runs (the check sees a load)', async () => {
    const r = await traced(['reconcile', '--fail-on', 'bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--fail-on must be one of info, warning, critical/);
    expect(r.loaded).toEqual(expect.arrayContaining(['typeorm', 'pg']));
  }, 60_000);

  it('an OTEL_* variable with a value Beacon does not support still stops start-up, naming it (exit 2)', async () => {
    const r = await traced(['--version'], { OTEL_TRACES_EXPORTER: 'zipkin' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/OTEL_TRACES_EXPORTER="zipkin" is not supported/);
    expect(r.stdout).toBe('');
  }, 60_000);
});
