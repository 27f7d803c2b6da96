import pg from 'pg';
import type { DataSource } from 'typeorm';

/** The channel the live-events triggers publish on. */
export const LIVE_CHANNEL = 'beacon_live';
/** The channel that announces runnable work (a job planned, cells requeued), so idle runners claim at once. */
export const WORK_CHANNEL = 'beacon_work';
/**
 * The payload on {@link WORK_CHANNEL} when an operator changed a (region, model)'s controls: daemons re-read the
 * concurrency overrides (other payloads name a job, or nothing).
 */
export const KEY_CONTROLS_CHANGED = 'key_controls';

/** How a {@link LiveListener} connects and what it reports. */
export interface LiveListenerOptions {
  url: string;
  /** Default {@link LIVE_CHANNEL}. */
  channel?: string;
  applicationName?: string;
  onPayload(payload: string): void;
  /** Called after every (re)connection once LISTEN is in place; `reconnected` is false the first time. */
  onListening?(reconnected: boolean): void;
  onError?(err: Error): void;
  /** Reconnect delays: first, and cap (doubling in between). */
  backoffMs?: { initial: number; max: number };
  /** A ping on the idle connection this often detects a silently dead link. */
  pingMs?: number;
}

/**
 * One dedicated connection that LISTENs on a channel ({@link LIVE_CHANNEL} by default) and hands every payload on, reconnecting
 * with backoff when the connection is lost (a restart, a network cut or a terminated backend).
 */
export class LiveListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private failures = 0;
  private everConnected = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;

  private readonly channel: string;

  constructor(private readonly opts: LiveListenerOptions) {
    this.channel = opts.channel ?? LIVE_CHANNEL;
  }

  /** Connects and listens; resolves after the first attempt (a failed one keeps retrying in the background). */
  async start(): Promise<void> {
    await this.connect();
  }

  /** True while LISTEN is in place. */
  get listening(): boolean {
    return this.client !== null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.opts.url,
      application_name: this.opts.applicationName ?? 'beacon-live',
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
    });
    let lost = false;
    const onLost = (err?: Error): void => {
      if (lost) return;
      lost = true;
      if (err) this.opts.onError?.(err);
      if (this.client === client) this.client = null;
      clearInterval(this.pingTimer);
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (msg) => {
      if (msg.channel === this.channel && msg.payload !== undefined) this.opts.onPayload(msg.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(this.channel)}`);
    } catch (err) {
      onLost(err as Error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.failures = 0;
    const reconnected = this.everConnected;
    this.everConnected = true;
    const pingMs = this.opts.pingMs ?? 30_000;
    this.pingTimer = setInterval(() => {
      client.query('SELECT 1').catch((err: Error) => onLost(err));
    }, pingMs);
    this.pingTimer.unref();
    this.opts.onListening?.(reconnected);
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const { initial, max } = this.opts.backoffMs ?? { initial: 250, max: 10_000 };
    const delay = Math.min(max, initial * 2 ** this.failures++);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }
}

/** The connection URL of a TypeORM data source, for a dedicated LISTEN connection beside its pool. */
export function connectionUrl(ds: DataSource): string {
  const o = ds.options as { url?: string; host?: string; port?: number; username?: string; password?: string; database?: string };
  if (o.url) return o.url;
  const auth = o.username ? `${encodeURIComponent(o.username)}${o.password ? `:${encodeURIComponent(o.password)}` : ''}@` : '';
  return `postgres://${auth}${o.host ?? 'localhost'}:${o.port ?? 5432}/${encodeURIComponent(o.database ?? 'postgres')}`;
}
