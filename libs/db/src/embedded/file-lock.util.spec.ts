import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withFileLock } from './file-lock.util.js';
import { processStartTime, sleep } from './process-info.util.js';

const dirs: string[] = [];

function lockIn(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'beacon-lock-spec-'));
  dirs.push(dir);
  return path.join(dir, 'lock');
}

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('withFileLock', () => {
  it('never runs two critical sections at once', async () => {
    const lock = lockIn();
    let inside = 0;
    let overlaps = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withFileLock(lock, async () => {
          inside += 1;
          if (inside > 1) overlaps += 1;
          await sleep(5);
          inside -= 1;
        }),
      ),
    );
    expect(overlaps).toBe(0);
    expect(readdirSync(path.dirname(lock))).toEqual([]);
  });

  it('breaks a lock whose holder is dead or whose pid was reused', async () => {
    for (const holder of [
      { pid: deadPid(), startTime: null },
      { pid: process.pid, startTime: (processStartTime(process.pid) ?? 0) + 1 },
    ]) {
      const lock = lockIn();
      writeFileSync(lock, JSON.stringify(holder));
      await expect(withFileLock(lock, () => Promise.resolve('ran'), { timeoutMs: 2000 })).resolves.toBe('ran');
      expect(existsSync(lock)).toBe(false);
    }
  });

  it('waits for a live holder and names it on timeout', async () => {
    const lock = lockIn();
    writeFileSync(lock, JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) }));
    await expect(withFileLock(lock, () => Promise.resolve('ran'), { timeoutMs: 300 })).rejects.toThrow(`held by process ${process.pid}`);
    expect(existsSync(lock)).toBe(true);
  });

  it('releases the lock when the critical section throws', async () => {
    const lock = lockIn();
    await expect(withFileLock(lock, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(lock)).toBe(false);
  });
});
