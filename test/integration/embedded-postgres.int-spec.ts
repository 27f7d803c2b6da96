import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { acquireDatabase, type DatabaseHandle } from '../../libs/db/src/embedded/index.js';
import { isProcessAlive } from '../../libs/db/src/embedded/process-info.util.js';
import { destroyBaseDir, freshBaseDir, type Holder, postmastersFor, startHolder, waitFor } from '../utils/embedded-fixtures.js';

const handles: DatabaseHandle[] = [];
const dirs: string[] = [];
const holders: Holder[] = [];

async function baseDir(traversable = false): Promise<string> {
  const dir = await freshBaseDir(traversable);
  dirs.push(dir);
  return dir;
}

async function acquire(dir: string): Promise<DatabaseHandle> {
  const handle = await acquireDatabase({ baseDir: dir, env: {} });
  handles.push(handle);
  return handle;
}

function holder(dir: string, sql?: string): Holder {
  const started = startHolder(dir, sql);
  holders.push(started);
  return started;
}

async function query<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

function onlyPostmaster(dataDir: string): number {
  const pids = postmastersFor(dataDir);
  expect(pids).toHaveLength(1);
  return pids[0] as number;
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

async function writePostmasterPid(dataDir: string, pid: number): Promise<void> {
  const lines = [pid, dataDir, Math.floor(Date.now() / 1000), 5999, '', '127.0.0.1', '  1234567     98304', 'ready'];
  await fs.writeFile(path.join(dataDir, 'postmaster.pid'), `${lines.join('\n')}\n`);
}

afterAll(async () => {
  for (const { child } of holders) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(holders.map((h) => h.exited));
  await Promise.allSettled(handles.map((h) => h.release()));
  for (const dir of dirs) await destroyBaseDir(dir);
});

describe('embedded PostgreSQL', () => {
  it('shares one server between handles of one base directory and stops it with the last release', async () => {
    const dir = await baseDir(true);
    const first = await acquire(dir);
    const second = await acquire(dir);
    expect(second.url).toBe(first.url);
    expect(first.embedded).toBe(true);
    expect(first.dataDir).toBe(path.join(dir, 'pg'));
    const postmaster = onlyPostmaster(first.dataDir as string);

    await query(first.url, "CREATE TABLE shared (v text); INSERT INTO shared VALUES ('one')");
    expect(await query(second.url, 'SELECT v FROM shared')).toEqual([{ v: 'one' }]);

    await first.release();
    await first.release();
    expect(isProcessAlive(postmaster)).toBe(true);
    expect(await query(second.url, 'SELECT count(*)::int AS n FROM shared')).toEqual([{ n: 1 }]);

    await second.release();
    expect(isProcessAlive(postmaster)).toBe(false);
    expect(postmastersFor(first.dataDir as string)).toEqual([]);
  });

  it('keeps data across a stop and a restart', async () => {
    const dir = await baseDir();
    const first = await acquire(dir);
    await query(first.url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('persisted')");
    await first.release();
    expect(postmastersFor(first.dataDir as string)).toEqual([]);

    const again = await acquire(dir);
    expect(await query(again.url, 'SELECT v FROM kept')).toEqual([{ v: 'persisted' }]);
    await again.release();
  });

  it('adopts the server orphaned by a kill -9 of the process that started it', async () => {
    const dir = await baseDir();
    const child = holder(dir, "CREATE TABLE held (v text); INSERT INTO held VALUES ('from child')");
    const info = await child.ready;
    const postmaster = onlyPostmaster(info.dataDir);

    child.child.kill('SIGKILL');
    await child.exited;
    expect(isProcessAlive(postmaster)).toBe(true);

    const adopted = await acquire(dir);
    expect(adopted.url).toBe(info.url);
    expect(onlyPostmaster(info.dataDir)).toBe(postmaster);
    expect(await query(adopted.url, 'SELECT v FROM held')).toEqual([{ v: 'from child' }]);

    await adopted.release();
    expect(isProcessAlive(postmaster)).toBe(false);
  });

  it('recovers from a killed postmaster and from postmaster.pid files naming other processes', async () => {
    const dir = await baseDir();
    const first = await acquire(dir);
    const dataDir = first.dataDir as string;
    await query(first.url, "CREATE TABLE survivor (v text); INSERT INTO survivor VALUES ('intact')");
    const crashed = onlyPostmaster(dataDir);
    process.kill(crashed, 'SIGKILL');
    await waitFor(() => !isProcessAlive(crashed), 'the killed postmaster to go away');
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(true);

    const recovered = await acquire(dir);
    expect(onlyPostmaster(dataDir)).not.toBe(crashed);
    expect(await query(recovered.url, 'SELECT v FROM survivor')).toEqual([{ v: 'intact' }]);
    await first.release();
    await recovered.release();
    expect(postmastersFor(dataDir)).toEqual([]);

    for (const stalePid of [await deadPid(), process.pid]) {
      await writePostmasterPid(dataDir, stalePid);
      const back = await acquire(dir);
      expect(await query(back.url, 'SELECT v FROM survivor')).toEqual([{ v: 'intact' }]);
      await back.release();
      expect(postmastersFor(dataDir)).toEqual([]);
    }
  });

  it('puts processes starting at the same instant on one server', async () => {
    const dir = await baseDir();
    const children = [holder(dir), holder(dir), holder(dir)];
    const infos = await Promise.all(children.map((c) => c.ready));
    expect(new Set(infos.map((i) => i.url)).size).toBe(1);
    const dataDir = infos[0]?.dataDir as string;
    onlyPostmaster(dataDir);

    for (const c of children) c.child.kill('SIGTERM');
    await Promise.all(children.map((c) => c.exited));
    expect(children.map((c) => c.child.exitCode)).toEqual([0, 0, 0]);
    expect(postmastersFor(dataDir)).toEqual([]);
  });

  it('returns DATABASE_URL unchanged and creates nothing', async () => {
    const dir = await baseDir();
    const url = 'postgres://someone:secret@db.example.com:5433/elsewhere';
    const handle = await acquireDatabase({ baseDir: dir, env: { DATABASE_URL: url } });
    expect(handle).toMatchObject({ url, embedded: false, dataDir: null });
    await handle.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports a server that cannot start with its log and leaves no lock behind', async () => {
    const dir = await baseDir();
    const first = await acquire(dir);
    const dataDir = first.dataDir as string;
    await first.release();
    await fs.writeFile(path.join(dataDir, 'PG_VERSION'), 'garbage\n');

    const failure = await acquireDatabase({ baseDir: dir, env: {} }).then(
      () => null,
      (err: Error) => err,
    );
    expect(failure).toBeInstanceOf(Error);
    const fatal = (await fs.readFile(path.join(dir, 'pg.log'), 'utf8'))
      .split('\n')
      .filter((l) => l.includes('FATAL'))
      .pop();
    expect(fatal).toBeDefined();
    expect(failure?.message).toContain(fatal);
    expect(existsSync(path.join(dir, 'lock'))).toBe(false);
    expect(readdirSync(path.join(dir, 'clients'))).toEqual([]);
    expect(postmastersFor(dataDir)).toEqual([]);
  });
});
