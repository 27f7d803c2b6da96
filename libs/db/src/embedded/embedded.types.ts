import type { DatabaseWatch, WatchOptions } from './watch-database.util.js';

/** A database Beacon can connect to, embedded or given through `DATABASE_URL`. */
export interface DatabaseHandle {
  /** Connection URL, e.g. `postgres://beacon:secret@127.0.0.1:54321/beacon`. */
  url: string;
  /** `false` when `DATABASE_URL` was used. */
  embedded: boolean;
  /** The cluster directory (real path) when embedded, else `null`. */
  dataDir: string | null;
  /**
   * Idempotent. For an embedded server: deregisters this process and stops the server when no
   * other live process uses it. A no-op for `DATABASE_URL`.
   */
  release(): Promise<void>;
  /**
   * For an embedded server: starts watching its postmaster and restarts (or adopts) it within seconds when it goes
   * away, with the same adopt-or-start logic as acquiring; see `watchDatabase`. For `DATABASE_URL`: a watch that does
   * nothing (Beacon cannot restart an external server). Stop the watch before `release()`.
   */
  watch(opts?: WatchOptions): DatabaseWatch;
}

/** Options of {@link acquireDatabase}. */
export interface AcquireOptions {
  /** Directory holding the cluster and its bookkeeping; default `<cwd>/.beacon`. */
  baseDir?: string;
  /** Environment to read `DATABASE_URL` from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Database to ensure exists on the embedded server (created if missing); default `beacon`. */
  database?: string;
  /** Receives human-readable progress lines; default: discards them. */
  log?: (line: string) => void;
}

/** A uniquely named database created for a test or a demo. */
export interface ThrowawayDatabase {
  /** URL of the new database. */
  url: string;
  /** Its name. */
  name: string;
  /** Terminates its connections and drops it; idempotent. */
  drop(): Promise<void>;
}

/** The OS identity initdb and postgres run as; `null` when they run as the current user. */
export type RunAs = { uid: number; gid: number } | null;

/** Contents of `server.json`: the cluster's credentials and who last started its server. */
export interface ServerState {
  /** Superuser name created by initdb. */
  user: string;
  /** Its password. */
  password: string;
  /** Real path of the cluster directory passed to `postgres -D`. */
  dataDir: string;
  /** Port of the running server, `null` after a clean stop. */
  port: number | null;
  /** Postmaster pid of the running server, `null` after a clean stop. */
  pid: number | null;
  /** Pid of the Beacon process that started the server. */
  startedBy: number | null;
  /** ISO time the server was started. */
  startedAt: string | null;
}

/** A process identity robust to pid reuse: the pid plus its kernel start time (when known). */
export interface ProcessIdentity {
  /** Process id. */
  pid: number;
  /** Start time in clock ticks since boot (Linux), `null` where it cannot be read. */
  startTime: number | null;
}
