// The one PostgreSQL connection pool of a process, on DATABASE_URL or on an embedded server.
import pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { startEmbeddedPostgres } from './embeddedPostgres.js';

export interface Database {
  pool: pg.Pool;
  url: string;
  /** True when this process runs (and will stop) its own embedded PostgreSQL. */
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * The pool always listens for errors on idle connections: PostgreSQL ending one (a restart, an administrator's
 * pg_terminate_backend) must cost that connection, not crash the process. pg replaces it on next use.
 */
export function createPool(url: string, max: number, applicationName = 'lendgraph', log?: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    application_name: applicationName,
    idleTimeoutMillis: 30_000,
    // Recycling connections bounds Postgres' per-connection catalog cache, which grows with every tenant
    // schema a connection touches (DESIGN.md, scale-out).
    maxLifetimeSeconds: 3_600,
  });
  pool.on('error', (err) => log?.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'idle database connection ended'));
  return pool;
}

export async function openDatabase(config: Config, log: Logger): Promise<Database> {
  if (config.DATABASE_URL) {
    const pool = createPool(config.DATABASE_URL, config.PG_POOL_MAX, config.PG_APPLICATION_NAME, log);
    return { pool, url: config.DATABASE_URL, embedded: false, close: () => pool.end() };
  }
  const server = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.EMBEDDED_PG_PORT,
    log,
  });
  const pool = createPool(server.url, config.PG_POOL_MAX, config.PG_APPLICATION_NAME, log);
  return {
    pool,
    url: server.url,
    embedded: server.owned,
    close: async () => {
      await pool.end();
      await server.stop();
    },
  };
}
