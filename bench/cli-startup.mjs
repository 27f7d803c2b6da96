// (r) CLI start-up: how long `beacon` takes from spawn to exit for commands that need no daemon work: `--version`,
// `--help`, and API reads pointed at a closed port (the command starts, tries the API once, and fails with exit 6; what
// is measured is the start-up, not a server). Each command is spawned N times (default 15); the median and the fastest
// wall time are reported in ms, and, where /usr/bin/time is installed, the median CPU time (user + system), which a busy
// machine changes far less than the wall time. `node bench/cli-startup.mjs [--runs N] [--root CHECKOUT] [--json]`; needs `npm run build` (of the
// checkout given with --root, to compare another build, e.g. before a change).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A port nothing listens on: one the system handed out and that was closed again at once. */
async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Spawns each command `runs` times (after one unmeasured warm-up run) and returns its median and fastest wall time. */
export async function cliStartupBench({ runs = 15, root = here } = {}) {
  const bin = path.join(root, 'bin', 'beacon.js');
  const api = `http://127.0.0.1:${await closedPort()}`;
  const commands = [
    { name: 'beacon --version', args: ['--version'], exit: 0 },
    { name: 'beacon --help', args: ['--help'], exit: 0 },
    { name: 'beacon jobs --json', args: ['--api', api, 'jobs', '--json'], exit: 6 },
    { name: 'beacon job X', args: ['--api', api, 'job', 'nightly-42'], exit: 6 },
  ];
  // Without OTEL_* variables, as a plain shell runs it.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  const timed = existsSync('/usr/bin/time');
  const results = [];
  for (const c of commands) {
    const times = [];
    const cpu = [];
    for (let i = 0; i <= runs; i++) {
      const argv = timed ? ['/usr/bin/time', '-f', 'cpu %U %S', process.execPath] : [process.execPath];
      const t0 = process.hrtime.bigint();
      const r = spawnSync(argv[0], [...argv.slice(1), bin, ...c.args], { cwd: root, env, encoding: 'utf8' });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== c.exit) throw new Error(`${c.name}: exit ${r.status}, expected ${c.exit}\n${r.stderr}`);
      if (i === 0) continue; // the first run warms the file cache
      times.push(ms);
      const m = /^cpu ([\d.]+) ([\d.]+)$/m.exec(r.stderr);
      if (m) cpu.push((Number(m[1]) + Number(m[2])) * 1000);
    }
    results.push({
      command: c.name,
      runs,
      medianMs: Math.round(median(times)),
      fastestMs: Math.round(Math.min(...times)),
      cpuMedianMs: cpu.length ? Math.round(median(cpu)) : null,
    });
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
  const results = await cliStartupBench({ runs: Number(arg('--runs') ?? 15), root: path.resolve(arg('--root') ?? here) });
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  else
    for (const r of results)
      process.stdout.write(
        `${r.command.padEnd(22)} median ${r.medianMs} ms, fastest ${r.fastestMs} ms${r.cpuMedianMs === null ? '' : `, CPU ${r.cpuMedianMs} ms`}\n`,
      );
}
