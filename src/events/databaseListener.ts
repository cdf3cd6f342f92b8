// One LISTEN session on one database, kept alive: a session of its own beside the pool (LISTEN needs one),
// re-established with backoff and jitter after a loss. Each database tenants are placed on has one, since a
// NOTIFY is heard only by sessions on the database that sent it.
import pg from 'pg';
import type { Logger } from '../log.js';
import { driverError } from '../tenancy/database.js';

/** Re-listening after a loss: the first try soon, then doubling to at most this, with jitter across replicas. */
const RELISTEN_FIRST_MS = 250;
const RELISTEN_MAX_MS = 5_000;
/** PG_CONNECT_TIMEOUT_MS's default, for a listener not told otherwise. */
const CONNECT_TIMEOUT_MS = 10_000;

export interface ListenerHandlers {
  notification(channel: string, payload: string): void;
  /** LISTEN is back after a loss: wake-ups sent meanwhile were missed. */
  relistened(): void;
}

export class DatabaseListener {
  private client: pg.Client | undefined;
  private relisten: NodeJS.Timeout | undefined;
  private attempts = 0;
  private lostAt: number | undefined;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly channels: readonly string[],
    private readonly log: Logger,
    private readonly handlers: ListenerHandlers,
    /** Which database, in log lines: never its URL. */
    private readonly database: string,
    /** How long making the session's connection may take before it is given up on (and tried again with backoff). */
    private readonly connectTimeoutMs: number = CONNECT_TIMEOUT_MS,
  ) {}

  async listen(): Promise<void> {
    // A database that drops packets instead of refusing is given up on after a while, and tried again with backoff.
    const client = new pg.Client({ connectionString: this.url, application_name: 'lendgraph-listen', keepAlive: true, keepAliveInitialDelayMillis: 10_000, connectionTimeoutMillis: this.connectTimeoutMs });
    let live = false;
    const lost = (err?: Error) => {
      if (!live) return;
      live = false;
      if (this.client === client) this.client = undefined;
      void client.end().catch(() => undefined);
      if (this.stopped) return;
      this.lostAt = Date.now();
      this.log.warn({ err: err ? driverError(err) : { message: 'connection ended' }, database: this.database }, 'outbox listener lost; re-listening with backoff');
      this.scheduleRelisten();
    };
    client.on('notification', (message) => {
      if (message.payload) this.handlers.notification(message.channel, message.payload);
    });
    // Always a listener: an 'error' event nobody hears ends the process. Before LISTEN took, the failure is
    // also the connect's or the query's rejection, handled by whoever called listen().
    client.on('error', (err) => lost(err));
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(this.channels.map((channel) => `LISTEN ${channel}`).join('; '));
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    live = true;
    this.client = client;
  }

  /** Listens, or, if the database cannot be reached now, logs it and keeps trying with backoff. */
  async listenOrRetry(): Promise<void> {
    try {
      await this.listen();
    } catch (error) {
      this.log.warn({ err: error instanceof Error ? driverError(error) : { message: String(error) }, database: this.database }, 'outbox listener not started: the database cannot be reached; trying again with backoff');
      this.lostAt = Date.now();
      this.scheduleRelisten();
    }
  }

  private scheduleRelisten(): void {
    if (this.stopped || this.relisten) return;
    const ceiling = Math.min(RELISTEN_MAX_MS, RELISTEN_FIRST_MS * 2 ** this.attempts);
    this.attempts += 1;
    this.relisten = setTimeout(() => {
      this.relisten = undefined;
      this.listen().then(() => {
        if (this.stopped) return;
        this.log.info({ attempts: this.attempts, downMs: this.lostAt ? Date.now() - this.lostAt : null, database: this.database }, 'outbox listener re-established');
        this.attempts = 0;
        this.handlers.relistened();
      }, (error: unknown) => {
        this.log.debug({ err: error instanceof Error ? driverError(error) : { message: String(error) }, attempt: this.attempts, database: this.database }, 'outbox listener not back yet');
        this.scheduleRelisten();
      });
    }, ceiling / 2 + Math.random() * (ceiling / 2));
    this.relisten.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.relisten);
    await this.client?.end().catch(() => undefined);
  }
}
