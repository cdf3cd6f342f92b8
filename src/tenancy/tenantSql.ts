// The raw-SQL path into a tenant's schema: a transaction whose search_path is set with
// set_config(..., true), so it reverts at commit or rollback and never leaks to the next user of the pooled
// connection. A session-level SET on a pooled connection is never used.
import type pg from 'pg';
import { quoteIdent } from './schemaNames.js';
import type { TenantDb, Tx } from './tenantClients.js';

export async function withTenantSql<T>(pool: pg.Pool, schema: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('search_path', $1, true)`, [quoteIdent(schema)]);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * The one door for raw SQL on a tenant's Prisma client or inside one of its transactions. The statement is built
 * from the tenant's quoted schema, so every name is qualified and no caller quotes a schema itself; values go
 * as parameters, never into the text.
 */
export function tenantSql(db: TenantDb | Tx, schemaName: string) {
  const schema = quoteIdent(schemaName);
  return {
    query: <T = unknown>(statement: (schema: string) => string, ...values: unknown[]): Promise<T> => db.$queryRawUnsafe<T>(statement(schema), ...values),
    execute: (statement: (schema: string) => string, ...values: unknown[]): Promise<number> => db.$executeRawUnsafe(statement(schema), ...values),
  };
}
