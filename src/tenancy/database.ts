// A process's PostgreSQL pools: the platform's own database (DATABASE_URL or an embedded server), and one per
// further database tenants are placed on (TENANT_DATABASES).
import pg from 'pg';
import { parse as parseUrl } from 'pg-connection-string';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { startEmbeddedPostgres } from './embeddedPostgres.js';
import { Databases, MAIN_DATABASE, type PlacedDatabase } from './placement.js';

export interface Database {
  pool: pg.Pool;
  url: string;
  /** True when this process runs (and will stop) its own embedded PostgreSQL. */
  embedded: boolean;
  /** The embedded PostgreSQL another process on the same data folder started: this one uses it, and leaves it running. */
  sharedEmbedded?: boolean;
  /** The process, gone, that started the embedded PostgreSQL this one adopted: this one stops it (`embedded`). */
  adoptedFrom?: number;
  close(): Promise<void>;
}

/** The banner's line on the database: which one, and who stops it. */
export function databaseBannerLine(database: Pick<Database, 'embedded' | 'sharedEmbedded' | 'adoptedFrom'>, dataDir: string): string {
  if (database.adoptedFrom !== undefined) {
    return `embedded PostgreSQL left running by process ${database.adoptedFrom}, which is gone (data in ${dataDir}); adopted: it stops with this process`;
  }
  if (database.embedded) return `embedded PostgreSQL (data in ${dataDir})`;
  if (database.sharedEmbedded) return `embedded PostgreSQL another process started (data in ${dataDir}); it stops with that process`;
  return 'DATABASE_URL';
}

/**
 * No connection of the pool may ever raise an unhandled 'error' event: PostgreSQL ending one (a restart, a crash
 * of the postmaster, an administrator's pg_terminate_backend) must cost that connection, not the process.
 * pg-pool only listens on idle connections; a connection checked out by a transaction between two statements
 * (our raw-SQL transactions, the settler's passes, migrations) reports the loss as an 'error' event on the
 * client with nobody listening, which ended the process. So every connection gets a listener of its own the
 * moment the pool makes it; its holder's next statement then fails, the holder rolls back and releases, and
 * pg-pool drops the broken connection and makes a fresh one on next use.
 */
export function createPool(
  url: string, max: number, applicationName = 'lendgraph', options: { log?: Logger; database?: string; connectTimeoutMs?: number } = {},
): pg.Pool {
  const { log, database = 'main', connectTimeoutMs } = options;
  const pool = new pg.Pool({
    connectionString: pinnedUrl(url),
    max,
    application_name: applicationName,
    // A server that takes the socket and never answers (a partition, a host gone without a reset) fails a new
    // connection after this long instead of holding the request indefinitely. Given to the connections, not to
    // the pool: pg-pool would also fail a request that waits that long for a free connection.
    ...(connectTimeoutMs !== undefined ? { Client: clientTimingOutAfter(connectTimeoutMs) } : {}),
    idleTimeoutMillis: 30_000,
    // Recycling connections bounds Postgres' per-connection catalog cache, which grows with every tenant
    // schema a connection touches (DESIGN.md, scale-out).
    maxLifetimeSeconds: 3_600,
    // A server that vanished without closing its sockets (a network partition, a host lost) is noticed
    // eventually on a held connection; /readyz does not wait for that (src/readiness.ts).
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  pool.on('connect', (client) => {
    client.on('error', (err) => log?.warn({ err: driverError(err), database }, 'database connection lost'));
  });
  // Also reported by the connection's own listener above; pg-pool needs one here or it rethrows.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * What every connection of a pool runs with whatever the server's, database's or role's defaults say: dates written
 * out as ISO `YYYY-MM-DD`, which the gateway's rows, pg's parsers and Prisma's all read (another DateStyle, such as
 * `SQL, DMY`, would have them misread or refuse every date). Sent in the connection's startup packet after the
 * options the URL (or else `PGOPTIONS`) gives; PgBouncer 1.20 and later pass DateStyle on, as a parameter they track.
 */
export const SESSION_OPTIONS = '-c DateStyle=ISO,YMD';

/**
 * The URL with SESSION_OPTIONS added to its `options`. Everything else is left for pg to read as it reads any URL,
 * for each connection it makes (its SSL settings and certificate files, the environment's defaults). pg takes the
 * last of a repeated parameter, so the one added here stands for any `options` the URL had, which it carries on.
 */
function pinnedUrl(url: string): string {
  const options = [parseUrl(url).options ?? process.env['PGOPTIONS'], SESSION_OPTIONS].filter(Boolean).join(' ');
  const fragment = url.indexOf('#');
  const [head, tail] = fragment < 0 ? [url, ''] : [url.slice(0, fragment), url.slice(fragment)];
  return `${head}${head.includes('?') ? '&' : '?'}options=${encodeURIComponent(options)}${tail}`;
}

/** A connection that gives up connecting after `ms`. */
function clientTimingOutAfter(ms: number): typeof pg.Client {
  return class extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(typeof config === 'string' ? { connectionString: config, connectionTimeoutMillis: ms } : { ...config, connectionTimeoutMillis: ms });
    }
  };
}

/** What a log needs of a driver error: no SQL, no parameters. */
export function driverError(err: Error): { message: string; code?: string } {
  const code = (err as { code?: string }).code;
  return code ? { message: err.message, code } : { message: err.message };
}

async function openDatabase(config: Config, log: Logger): Promise<Database> {
  if (config.DATABASE_URL) {
    const pool = createPool(config.DATABASE_URL, config.PG_POOL_MAX, config.PG_APPLICATION_NAME, { log, connectTimeoutMs: config.PG_CONNECT_TIMEOUT_MS });
    return { pool, url: config.DATABASE_URL, embedded: false, close: () => pool.end() };
  }
  const server = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.EMBEDDED_PG_PORT,
    log,
  });
  const pool = createPool(server.url, config.PG_POOL_MAX, config.PG_APPLICATION_NAME, { log, connectTimeoutMs: config.PG_CONNECT_TIMEOUT_MS });
  return {
    pool,
    url: server.url,
    embedded: server.owned,
    sharedEmbedded: !server.owned,
    ...(server.adoptedFrom === undefined ? {} : { adoptedFrom: server.adoptedFrom }),
    close: async () => {
      await pool.end();
      await server.stop();
    },
  };
}

/** Every database tenants may live on: `main` (the platform's) and one pool per TENANT_DATABASES entry. */
function openTenantDatabases(config: Config, main: Database, log?: Logger): Databases {
  const others: PlacedDatabase[] = Object.entries(config.TENANT_DATABASES ?? {}).map(([name, url]) => ({
    name,
    url,
    pool: createPool(url, config.PG_POOL_MAX, config.PG_APPLICATION_NAME, { log, database: name, connectTimeoutMs: config.PG_CONNECT_TIMEOUT_MS }),
    connectTimeoutMs: config.PG_CONNECT_TIMEOUT_MS,
  }));
  return new Databases({ name: MAIN_DATABASE, pool: main.pool, url: main.url, connectTimeoutMs: config.PG_CONNECT_TIMEOUT_MS }, others, config.TENANT_REGISTRY_TTL_MS);
}

/** Every database this process can reach (the platform's and each placed one), opened, and closed together. */
export async function openAllDatabases(config: Config, log: Logger): Promise<{ main: Database; databases: Databases; close(): Promise<void> }> {
  const main = await openDatabase(config, log);
  const databases = openTenantDatabases(config, main, log);
  return {
    main,
    databases,
    async close() {
      await Promise.all(databases.list().slice(1).map((other) => other.pool.end().catch(() => undefined)));
      await main.close();
    },
  };
}
