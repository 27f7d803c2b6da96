import type { INestApplication } from '@nestjs/common';
import { createDataSource, migrate } from '@beacon/db';
import { defaultConfig, type BeaconConfig } from '@beacon/domain';
import { createRunnerApp } from '@beacon/runner';
import type { DataSource } from 'typeorm';
import { throwawayDatabase } from './test-database.js';

/** A migrated throwaway database with a DataSource on it. */
export interface TestDatabase {
  url: string;
  ds: DataSource;
  close(): Promise<void>;
}

/** Creates a fresh database on the test server and applies every migration. */
export async function migratedDatabase(prefix = 't'): Promise<TestDatabase> {
  const db = await throwawayDatabase(prefix);
  const ds = createDataSource(db.url, { applicationName: 'beacon-test', poolSize: 25 });
  await ds.initialize();
  await migrate(ds);
  return {
    url: db.url,
    ds,
    async close() {
      await ds.destroy();
      await db.drop();
    },
  };
}

/** A runner daemon listening on a random loopback port over its own throwaway database. */
export interface TestRunner {
  baseUrl: string;
  ds: DataSource;
  app: INestApplication;
  close(): Promise<void>;
}

/** Starts the runner's HTTP API on 127.0.0.1:<random> (real HTTP, real Postgres). */
export async function startTestRunner(config: BeaconConfig = defaultConfig()): Promise<TestRunner> {
  const db = await migratedDatabase('api');
  const app = await createRunnerApp({ dataSource: db.ds, config, logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    ds: db.ds,
    app,
    async close() {
      await app.close();
      await db.close();
    },
  };
}

/** Row counts of the tables a submission writes. */
export async function rowCounts(ds: DataSource): Promise<{ jobs: number; executions: number }> {
  const [r] = await ds.query('SELECT (SELECT count(*) FROM jobs)::int AS jobs, (SELECT count(*) FROM executions)::int AS executions');
  return r;
}

/** POSTs a job spec body (raw text) with the given content type. */
export async function postJob(baseUrl: string, body: string, contentType = 'application/json'): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
