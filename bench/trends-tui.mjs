// The Trends screen's frame time (called by bench/trends.mjs): renders the TUI headlessly at 120 × 40 against the daemon
// at argv[2] on the schedule `nightly`, and times key press → frame for moving, paging, scrolling through runs and
// switching to labels. Prints JSON.
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { load } from './lib.mjs';

const url = process.argv[2];
const quick = process.argv.includes('--quick');
const { client } = await load();
const [{ render }, React, tui] = await Promise.all([
  import('ink'),
  import('react'),
  import(new URL('../dist/libs/tui/src/index.js', import.meta.url).href),
]);

/** A terminal for Ink: 120 × 40, records when each frame is written. */
class FakeStdout extends EventEmitter {
  columns = 120;
  rows = 40;
  isTTY = true;
  last = '';
  waiters = [];
  write(s) {
    if (s.length < 200) return true;
    this.last = s;
    for (const w of this.waiters.splice(0)) w(performance.now());
    return true;
  }
  nextFrame() {
    return new Promise((r) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        r(null);
      }, 1000);
      const done = (at) => {
        clearTimeout(t);
        r(at);
      };
      this.waiters.push(done);
    });
  }
}
/** A keyboard for Ink. */
class FakeStdin extends EventEmitter {
  isTTY = true;
  queue = [];
  setRawMode() {}
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read() {
    return this.queue.shift() ?? null;
  }
  press(k) {
    this.queue.push(k);
    this.emit('readable');
  }
}

const api = new client.BeaconApiClient(url);
const stdout = new FakeStdout();
const stdin = new FakeStdin();
const t0 = performance.now();
const ui = render(React.createElement(tui.App, { api, trend: ['nightly'], theme: { color: true } }), {
  stdout,
  stdin,
  exitOnCtrlC: false,
  patchConsole: false,
  maxFps: 1000,
});
await until(() => /runs \d+–\d+ of \d+/.test(stdout.last), 'the Trends screen');
const loadMs = Math.round(performance.now() - t0);
globalThis.gc?.();
// BENCH_CPU_PROFILE=FILE: a V8 CPU profile of the key presses only (not of the load), for chrome://inspect or speedscope;
// with BENCH_HEAP_PROFILE=FILE also a sampling heap profile of every allocation then, collected or not, and the result
// says how much each frame allocated (a figure the load of the machine does not change, unlike the times).
const profiler = process.env.BENCH_CPU_PROFILE ? await startProfile() : null;

/**
 * Presses `key` `n` times: for each, the wall time until the next frame, and the CPU time this process spent on it (on
 * a busy machine the wall time also counts waiting for a core; the CPU time is the frame's own cost).
 */
const cpuMs = [];
async function timeKeys(key, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const frame = stdout.nextFrame();
    const c0 = process.cpuUsage();
    const t = performance.now();
    stdin.press(key);
    const at = await frame;
    if (at === null) throw new Error(`key ${JSON.stringify(key)} drew no frame`);
    const c = process.cpuUsage(c0);
    times.push(at - t);
    cpuMs.push((c.user + c.system) / 1000);
  }
  return times;
}
const move = [...(await timeKeys('j', quick ? 40 : 71)), ...(await timeKeys('k', quick ? 40 : 71))];
const page = [...(await timeKeys('\u001B[6~', 2)), ...(await timeKeys('b', 2))];
const runs = [...(await timeKeys('h', quick ? 10 : 30)), ...(await timeKeys('l', quick ? 10 : 30))];
const metric = await timeKeys('m', 10);
const allocated = profiler ? await profiler.stop(process.env.BENCH_CPU_PROFILE) : null;
ui.unmount();
const all = [...move, ...page, ...runs, ...metric];
process.stdout.write(
  JSON.stringify({
    loadMs,
    move: stats(move),
    runs: stats(runs),
    metric: stats(metric),
    all: stats(all),
    cpu: stats(cpuMs),
    loadAverage: os.loadavg()[0],
    rssMiB: Math.round(process.memoryUsage().rss / 1024 / 1024),
    ...(allocated === null ? {} : { allocatedMiBPerFrame: Math.round((allocated / all.length / 1024 / 1024) * 100) / 100 }),
    targetMs: 50,
  }),
);
process.exit(0);

async function startProfile() {
  const { Session } = await import('node:inspector/promises');
  const { writeFile } = await import('node:fs/promises');
  const session = new Session();
  session.connect();
  const heap = process.env.BENCH_HEAP_PROFILE;
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  if (heap)
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  return {
    /** Writes the profiles; the bytes allocated meanwhile (sampled), or null without a heap profile. */
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(file, JSON.stringify(profile));
      if (!heap) return null;
      const sampled = (await session.post('HeapProfiler.stopSampling')).profile;
      await writeFile(heap, JSON.stringify(sampled));
      const total = (n) => n.selfSize + n.children.reduce((a, c) => a + total(c), 0);
      return total(sampled.head);
    },
  };
}

async function until(check, what, timeoutMs = 180_000) {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] * 100) / 100;
  return { n: s.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: q(1) };
}
