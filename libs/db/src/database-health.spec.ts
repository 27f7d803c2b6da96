import net from 'node:net';
import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { QueryFailedError } from 'typeorm';
import { databaseFault, probeDatabase } from './database-health.js';

/** A port on loopback that nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** The error a real connection attempt to `port` fails with. */
async function connectError(port: number, timeoutMs = 5000): Promise<unknown> {
  const client = new pg.Client({ connectionString: `postgres://u:p@127.0.0.1:${port}/db`, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  return client.connect().then(
    () => {
      throw new Error('connected');
    },
    (err: unknown) => err,
  );
}

function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

describe('databaseFault', () => {
  it('calls a refused connection unavailable, also wrapped by TypeORM', async () => {
    const err = await connectError(await closedPort());
    expect(databaseFault(err)).toBe('unavailable');
    expect(databaseFault(new QueryFailedError('SELECT 1', [], err as Error))).toBe('unavailable');
  });

  it('calls a server that accepts but never answers a connect timeout', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const err = await connectError((silent.address() as net.AddressInfo).port, 200);
      expect(databaseFault(err)).toBe('timeout');
    } finally {
      silent.close();
    }
  });

  it('knows the SQLSTATEs of a server going away or starting, and of a statement timeout', () => {
    expect(databaseFault(pgError('57P01', 'terminating connection due to administrator command'))).toBe('unavailable');
    expect(databaseFault(pgError('57P03', 'the database system is starting up'))).toBe('unavailable');
    expect(databaseFault(pgError('08006', 'connection failure'))).toBe('unavailable');
    expect(databaseFault(new QueryFailedError('INSERT', [], pgError('57014', 'canceling statement due to statement timeout')))).toBe(
      'timeout',
    );
    expect(databaseFault(new Error('Connection terminated unexpectedly'))).toBe('unavailable');
  });

  it('review: a pool that cannot hand out a connection in time (pg-pool acquire timeout) is a database timeout, not a 500', async () => {
    // Every connection of the pool is stuck on a server that never answers: the next caller waits connectionTimeoutMillis
    // for one and gets pg-pool's own error, which has no code.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => {
      sockets.push(s);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const pool = new pg.Pool({
      connectionString: `postgres://u:p@127.0.0.1:${(silent.address() as net.AddressInfo).port}/db`,
      max: 1,
      connectionTimeoutMillis: 200,
    });
    pool.on('error', () => undefined);
    try {
      const errs = await Promise.all(
        [pool.query('SELECT 1'), pool.query('SELECT 1')].map((p) =>
          p.then(
            () => null,
            (e: unknown) => e,
          ),
        ),
      );
      expect(errs.map((e) => (e as Error).message)).toContain('timeout exceeded when trying to connect');
      for (const e of errs) expect(databaseFault(e)).toBe('timeout');
      expect(databaseFault(new QueryFailedError('SELECT 1', [], errs[1] as Error))).toBe('timeout');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 10_000);

  it('leaves errors of the request or of the code alone', () => {
    expect(
      databaseFault(new QueryFailedError('INSERT', [], pgError('23505', 'duplicate key value violates unique constraint'))),
    ).toBeNull();
    expect(databaseFault(new QueryFailedError('SELECT', [], pgError('22P02', 'invalid input syntax for type bigint')))).toBeNull();
    expect(databaseFault(new TypeError("Cannot read properties of null (reading 'x')"))).toBeNull();
    expect(databaseFault('a string')).toBeNull();
  });
});

describe('probeDatabase', () => {
  it('answers within its bound when the server accepts connections but never speaks', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const probe = await probeDatabase(`postgres://u:p@127.0.0.1:${(silent.address() as net.AddressInfo).port}/db`, 300);
      expect(probe.database).toMatch(/^unreachable: /);
      expect(probe.migrations).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      silent.close();
    }
  });

  it('names a refused connection without the URL or its password', async () => {
    const probe = await probeDatabase(`postgres://u:s3cret@127.0.0.1:${await closedPort()}/db`, 1000);
    expect(probe.database).toMatch(/^unreachable: .*ECONNREFUSED/);
    expect(probe.database).not.toContain('s3cret');
  });
});
