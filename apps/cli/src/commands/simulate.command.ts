import type { Command } from 'commander';
import { SIMULATOR_BASE_URL } from '@beacon/domain';
import type { FaultSettings, OutageWindow, SimModel, SimulatorOptions } from '@beacon/simulator';
import { readConfig, type GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { listenError, runUntilSignal } from '../lifecycle.js';
import { note } from '../output.js';

/**
 * The simulator's default port (its DEFAULT_SIMULATOR_PORT, from the same address), worked out here so that the help
 * of `beacon simulate` does not load the simulator at start-up (see program.ts).
 */
const DEFAULT_SIMULATOR_PORT = Number(new URL(SIMULATOR_BASE_URL).port);

interface SimulateOptions {
  port?: string;
  host?: string;
  seed?: string;
  errorRate?: string;
  rateLimitRate?: string;
  retryAfter?: string;
  hangRate?: string;
  badRequestRate?: string;
  outage: string[];
  latencyMs?: string;
  latencyScale?: string;
  apiKeyEnv?: string;
}

/** `beacon simulate`: the OpenAI-compatible simulator of the configured regions, until SIGINT or SIGTERM. */
export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      `serve simulated OpenAI-compatible endpoints at http://127.0.0.1:${DEFAULT_SIMULATOR_PORT}/<region>/v1 for every configured region, with fault knobs`,
    )
    .option('--port <port>', `port to listen on (default ${DEFAULT_SIMULATOR_PORT}; 0 = any free port)`)
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--seed <n>', 'seed of the fault generator and of answer wording and latency (default 1)')
    .option('--error-rate <x>', 'fraction 0..1 of requests answered 500/502/503/529')
    .option('--rate-limit-rate <x>', 'fraction 0..1 of requests answered 429 with Retry-After')
    .option('--retry-after <seconds>', 'Retry-After of a 429, in seconds (default 1)')
    .option('--hang-rate <x>', 'fraction 0..1 of requests never answered')
    .option('--bad-request-rate <x>', 'fraction 0..1 of requests answered 400')
    .option(
      '--outage <region:start-end>',
      'answer 503 for a region (or * for all, region/model for one model) from start to end seconds after start; repeatable',
      collect,
      [],
    )
    .option('--latency-ms <min-max>', 'fixed latency range of every answer in milliseconds, e.g. 0-0 or 100-300 (default: per model)')
    .option('--latency-scale <x>', 'multiplier of the per-model latency (default 1)')
    .option('--api-key-env <name>', 'require Authorization: Bearer $NAME on every endpoint')
    .action(async (opts: SimulateOptions) => {
      const regions = Object.keys(readConfig(program.opts<GlobalOptions>()).regions);
      const { resolveModel, startSimulator } = await import('../lazy/simulator.js');
      const options = simulatorOptions(opts, regions, resolveModel);
      const sim = await startSimulator(options).catch((err: unknown) => {
        if (err instanceof RangeError) throw new CliError(err.message, EXIT.usage);
        throw listenError(err, options.host ?? '127.0.0.1', options.port, 'simulator');
      });
      for (const region of regions) note(`simulating ${region} at ${sim.baseUrlFor(region)}`);
      await runUntilSignal(() => sim.close());
    });
}

/** The simulator options of the command line, each flag validated with a message naming it. */
export function simulatorOptions(
  opts: SimulateOptions,
  regions: readonly string[],
  resolveModel: (name: string) => SimModel | undefined,
): SimulatorOptions & { port: number } {
  const faults: Partial<FaultSettings> = {};
  if (opts.errorRate !== undefined) faults.errorRate = fraction('--error-rate', opts.errorRate);
  if (opts.rateLimitRate !== undefined) faults.rateLimitRate = fraction('--rate-limit-rate', opts.rateLimitRate);
  if (opts.hangRate !== undefined) faults.hangRate = fraction('--hang-rate', opts.hangRate);
  if (opts.badRequestRate !== undefined) faults.badRequestRate = fraction('--bad-request-rate', opts.badRequestRate);
  if (opts.retryAfter !== undefined) faults.retryAfterSeconds = nonNegative('--retry-after', opts.retryAfter);
  if (opts.outage.length) faults.outages = opts.outage.map((spec) => outage(spec, regions, resolveModel));
  if (opts.latencyMs !== undefined) faults.latencyMs = latencyRange(opts.latencyMs);
  const options: SimulatorOptions & { port: number } = {
    port: port(opts.port ?? String(DEFAULT_SIMULATOR_PORT)),
    regions: [...regions],
    faults,
  };
  if (opts.host !== undefined) {
    if (opts.host.trim() === '') throw usage('--host: must not be empty');
    options.host = opts.host;
  }
  if (opts.seed !== undefined) {
    const seed = Number(opts.seed);
    if (opts.seed.trim() === '' || !Number.isSafeInteger(seed))
      throw usage(`--seed: must be an integer (got ${JSON.stringify(opts.seed)})`);
    options.seed = seed;
  }
  if (opts.latencyScale !== undefined) options.latencyScale = nonNegative('--latency-scale', opts.latencyScale);
  if (opts.apiKeyEnv !== undefined) {
    const key = process.env[opts.apiKeyEnv];
    if (!key) throw usage(`--api-key-env: environment variable ${opts.apiKeyEnv} is not set or empty`);
    options.apiKey = key;
  }
  return options;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function usage(message: string): CliError {
  return new CliError(message, EXIT.usage);
}

function number(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw usage(`${flag}: must be a number (got ${JSON.stringify(raw)})`);
  return n;
}

function fraction(flag: string, raw: string): number {
  const n = number(flag, raw);
  if (n < 0 || n > 1) throw usage(`${flag}: must be a fraction from 0 to 1 (got ${raw})`);
  return n;
}

function nonNegative(flag: string, raw: string): number {
  const n = number(flag, raw);
  if (n < 0) throw usage(`${flag}: must be 0 or more (got ${raw})`);
  return n;
}

function port(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535)
    throw usage(`--port: must be an integer from 0 to 65535 (got ${JSON.stringify(raw)})`);
  return n;
}

function outage(spec: string, regions: readonly string[], resolveModel: (name: string) => SimModel | undefined): OutageWindow {
  const m = /^([^:]+):([0-9.]+)-([0-9.]+)$/.exec(spec.trim());
  if (!m) throw usage(`--outage: expected region:startSec-endSec, e.g. us-east:10-40 (got ${JSON.stringify(spec)})`);
  const [target, startRaw, endRaw] = [m[1]!, m[2]!, m[3]!];
  const slash = target.indexOf('/');
  const region = slash < 0 ? target : target.slice(0, slash);
  const model = slash < 0 ? undefined : target.slice(slash + 1);
  if (region !== '*' && !regions.includes(region))
    throw usage(`--outage: unknown region "${region}" in ${JSON.stringify(spec)} (known: ${regions.join(', ')}, or *)`);
  if (model !== undefined && !resolveModel(model)) throw usage(`--outage: unknown model "${model}" in ${JSON.stringify(spec)}`);
  const start = nonNegative('--outage', startRaw);
  const end = nonNegative('--outage', endRaw);
  if (end <= start) throw usage(`--outage: the end must be after the start in ${JSON.stringify(spec)}`);
  return { ...(region === '*' ? {} : { region }), ...(model ? { model } : {}), startMs: start * 1000, endMs: end * 1000 };
}

function latencyRange(raw: string): { min: number; max: number } {
  const m = /^\s*([0-9.]+)\s*(?:-\s*([0-9.]+)\s*)?$/.exec(raw);
  if (!m) throw usage(`--latency-ms: expected min-max in milliseconds, e.g. 100-300 (got ${JSON.stringify(raw)})`);
  const min = nonNegative('--latency-ms', m[1]!);
  const max = m[2] === undefined ? min : nonNegative('--latency-ms', m[2]);
  if (max < min) throw usage(`--latency-ms: max must not be below min (got ${raw})`);
  return { min, max };
}
