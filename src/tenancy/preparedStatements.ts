// Named (prepared) statements for the reads the API answers most. Sent unnamed, a statement is parsed, analysed and
// planned by PostgreSQL on every execution; a loan's row read by id (fifty-odd columns, most cast to text) cost the
// server more in that than in finding the row, and the gateway waited for it (docs/performance.md, "Prepared
// statements"). A named statement is parsed and planned once per connection and then only bound and executed.
//
// Each statement names its tenant's schema, so a connection that serves many tenants would keep one per tenant for
// its whole life: memory in its backend that grows with the number of tenants. So each pooled connection prepares at
// most `perConnection` distinct statements; the one that passes the bound is closed when released and the pool opens
// a fresh one, with none. A statement that fails (a migration changed a column it returns, the connection broke) also
// closes its connection, so no stale statement survives into the next request.
import { createHash } from 'node:crypto';
import type pg from 'pg';

/** Distinct named statements one pooled connection prepares before it is retired. */
export const PREPARED_PER_CONNECTION = 256;

const preparedOn = new WeakMap<pg.PoolClient, Set<string>>();

/** PostgreSQL cuts names at 63 bytes (two long schema names could then collide): the name is a digest of the key. */
function statementName(key: string): string {
  return `lg_${createHash('sha1').update(key).digest('base64url')}`;
}

export interface PreparedOptions {
  /** The bound per connection (tests make it small). */
  perConnection?: number;
}

/**
 * Runs `text` as the named statement `key` on a connection from the pool. `key` must name everything the text
 * depends on (schema, shape): two texts under one key would run the first one's plan.
 */
export async function preparedQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  pool: pg.Pool, key: string, text: string, values: unknown[], options: PreparedOptions = {},
): Promise<pg.QueryResult<R>> {
  const client = await pool.connect();
  let names = preparedOn.get(client);
  if (!names) {
    names = new Set();
    preparedOn.set(client, names);
  }
  const name = statementName(key);
  let retire = false;
  if (!names.has(name)) {
    names.add(name);
    retire = names.size > (options.perConnection ?? PREPARED_PER_CONNECTION);
  }
  try {
    return await client.query<R>({ name, text, values });
  } catch (error) {
    retire = true;
    throw error;
  } finally {
    client.release(retire);
  }
}
