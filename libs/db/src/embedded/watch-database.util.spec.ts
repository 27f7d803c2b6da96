import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { watchDatabase, type DatabaseWatch, type WatchTarget } from './watch-database.util.js';

/**
 * The watch's decisions, over a cluster directory whose postmaster is gone (no postmaster.pid) and a restart step that
 * reports where the server came back: whether it ever does on another port is up to what took the old one, so the
 * step is given here rather than staged with a real server and a squatter on its port.
 */
describe('watchDatabase', () => {
  const dirs: string[] = [];
  const watches: DatabaseWatch[] = [];
  afterEach(async () => {
    for (const w of watches.splice(0)) await w.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function target(restartedOn: number): WatchTarget & { restarts: number } {
    const base = mkdtempSync(path.join(os.tmpdir(), 'beacon-watch-spec-'));
    dirs.push(base);
    const dataDir = path.join(base, 'pg');
    mkdirSync(dataDir); // a plain directory stands for the cluster: the watch only checks that PG_VERSION is there
    writeFileSync(path.join(dataDir, 'PG_VERSION'), '17\n');
    const t = {
      restarts: 0,
      layout: {
        baseDir: base,
        clusterPath: dataDir,
        stateFile: path.join(base, 'server.json'),
        clientsDir: path.join(base, 'clients'),
        logFile: path.join(base, 'pg.log'),
        lockFile: path.join(base, 'lock'),
      },
      who: null,
      dataDir,
      port: 54_321,
      findOrStart() {
        t.restarts += 1;
        return Promise.resolve({ port: restartedOn, pid: process.pid, started: true });
      },
    } as unknown as WatchTarget & { restarts: number };
    return t;
  }

  it('review: a server back on another port ends the watch `lost`, tells its owner once why, and is not restarted again', async () => {
    const t = target(54_999);
    const reasons: string[] = [];
    const watch = watchDatabase(t, { intervalMs: 20, onLost: (r) => reasons.push(r) });
    watches.push(watch);
    for (let i = 0; i < 200 && watch.state !== 'lost'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(watch.state).toBe('lost');
    await new Promise((r) => setTimeout(r, 200)); // several intervals: a lost watch does nothing more
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/now listens on port 54999, but this process connects to port 54321.*restart this process/);
    expect(watch.lostReason).toBe(reasons[0]);
    expect(t.restarts).toBe(1);
  });

  it('a server back on the same port keeps the watch watching, with no reason to stop', async () => {
    const t = target(54_321);
    const reasons: string[] = [];
    const watch = watchDatabase(t, { intervalMs: 20, onLost: (r) => reasons.push(r) });
    watches.push(watch);
    for (let i = 0; i < 200 && watch.recoveries === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(watch.recoveries).toBeGreaterThan(0);
    expect(watch.state).not.toBe('lost');
    expect(reasons).toEqual([]);
  });
});
