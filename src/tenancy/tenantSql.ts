// The raw-SQL path into a tenant's schema, whichever connection carries it: the tenant's Prisma client, or the
// pg pool (and its clients) that the event machinery, webhook delivery and the CLI use beside Prisma. Every
// statement is built from the tenant's schema quoted here, so no caller quotes a schema itself and a schema name
// that is not a plain identifier is refused before any SQL is sent. Values go as parameters, never into the text.
// A transaction's search_path is set with set_config(..., true), so it reverts at commit or rollback and never
// leaks to the next user of the pooled connection; a session-level SET on a pooled connection is never used.
import type pg from 'pg';
import { quoteIdent } from './schemaNames.js';
import type { TenantDb, Tx } from './tenantClients.js';
import { pastBound, staleStatement } from './preparedStatements.js';

/** A statement's text, given the tenant's schema already quoted. */
export type TenantStatement = (schema: string) => string;

/** The text of a statement on a tenant's schema, for executors that take text (a job queue's transaction). */
export function tenantStatement(schemaName: string, statement: TenantStatement): string {
  return statement(quoteIdent(schemaName));
}

/** Raw SQL on a tenant's schema through the pg pool, or through one of its clients inside a transaction. */
export function poolSql(db: pg.Pool | pg.PoolClient, schemaName: string) {
  const schema = quoteIdent(schemaName);
  return {
    query: <R extends pg.QueryResultRow = pg.QueryResultRow>(statement: TenantStatement, values?: unknown[]): Promise<pg.QueryResult<R>> =>
      db.query<R>(statement(schema), values),
  };
}

export type PoolSql = ReturnType<typeof poolSql>;

/**
 * A transaction on the pool with the tenant's schema on its search_path. `work` gets the client and the same
 * client as poolSql, for statements that qualify their names.
 */
export async function withTenantSql<T>(pool: pg.Pool, schemaName: string, work: (client: pg.PoolClient, sql: PoolSql) => Promise<T>): Promise<T> {
  const schema = quoteIdent(schemaName);
  return transaction(pool, async (client) => {
    await client.query(`SELECT set_config('search_path', $1, true)`, [schema]);
    return work(client, poolSql(client, schemaName));
  });
}

/**
 * How a transaction sees the database: one snapshot for all its statements (a backup, a comparison), read only;
 * and how long any of its statements waits for a lock before failing (`lockTimeout`, whole milliseconds), for work
 * that would rather give up than queue behind a migration.
 */
export interface TransactionMode {
  snapshot?: boolean;
  readOnly?: boolean;
  lockTimeout?: number;
}

/** One transaction on a connection of the pool: committed if `work` returns, rolled back if it throws. */
export async function transaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, mode: TransactionMode = {}): Promise<T> {
  const client = await pool.connect();
  let failed: unknown;
  try {
    // One round trip: the lock timeout, when asked, goes with BEGIN.
    const lockTimeout = mode.lockTimeout === undefined ? '' : `; SET LOCAL lock_timeout = ${Math.max(1, Math.trunc(mode.lockTimeout))}`;
    await client.query(`BEGIN${mode.snapshot ? ' ISOLATION LEVEL REPEATABLE READ' : ''}${mode.readOnly ? ' READ ONLY' : ''}${lockTimeout}`);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    failed = error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    // Statements named on the connection (statementOn) count against its bound like every other's.
    client.release(pastBound(client) || staleStatement(failed) || undefined);
  }
}

/**
 * The one door for raw SQL on a tenant's Prisma client or inside one of its transactions: every name is
 * qualified with the schema this quotes.
 */
export function tenantSql(db: TenantDb | Tx, schemaName: string) {
  const schema = quoteIdent(schemaName);
  return {
    query: <T = unknown>(statement: TenantStatement, ...values: unknown[]): Promise<T> => db.$queryRawUnsafe<T>(statement(schema), ...values),
    execute: (statement: TenantStatement, ...values: unknown[]): Promise<number> => db.$executeRawUnsafe(statement(schema), ...values),
  };
}

/**
 * Holds `key` until the transaction ends: another transaction of the tenant holding the same key, on this gateway or
 * another, waits here for it. What the key names is the caller's (a name being created, a person being matched).
 */
export async function holdUntilCommit(tx: Tx, schemaName: string, key: string): Promise<void> {
  await tenantSql(tx, schemaName).execute(() => 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', key);
}
