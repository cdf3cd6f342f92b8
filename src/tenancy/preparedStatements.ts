// Named (prepared) statements for the reads the API answers most. Sent unnamed, a statement is parsed, analysed and
// planned by PostgreSQL on every execution; a loan's row read by id (fifty-odd columns, most cast to text) cost the
// server more in that than in finding the row, and the gateway waited for it (docs/performance.md, "Third round:
// the runtime, the socket to PostgreSQL, named statements"). A named statement is parsed and planned once per
// connection and then only bound and executed.
//
// Each statement names its tenant's schema, so a connection that serves many tenants would keep one per tenant for
// its whole life: memory in its backend that grows with the number of tenants. So each pooled connection prepares at
// most `perConnection` distinct statements; the one that passes the bound is closed when released and the pool opens
// a fresh one, with none. A statement that fails (a migration changed a column it returns, the connection broke) also
// closes its connection, so no stale statement survives into the next request. Prisma's reads outside transactions
// go the same way (`namingPool`, given to its adapter in src/tenancy/tenantClients.ts).
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { LRUCache } from 'lru-cache';
import { ReadsTogether } from './readsTogether.js';

/** Distinct named statements one pooled connection prepares before it is retired. */
const PREPARED_PER_CONNECTION = 256;

const preparedOn = new WeakMap<pg.PoolClient, Set<string>>();

/** The names of the statements prepared on `client` so far. */
function namesOn(client: pg.PoolClient): Set<string> {
  let names = preparedOn.get(client);
  if (!names) {
    names = new Set();
    preparedOn.set(client, names);
  }
  return names;
}

/** Names already digested: every read asks for one, and a digest per read showed in the gateway's profile. */
const digested = new LRUCache<string, string>({ max: 10_000 });

/** PostgreSQL cuts names at 63 bytes (two long schema names could then collide): the name is a digest of the key. */
export function statementName(key: string): string {
  let name = digested.get(key);
  if (name === undefined) {
    name = `lg_${createHash('sha1').update(key).digest('base64url')}`;
    digested.set(key, name);
  }
  return name;
}

export interface PreparedOptions {
  /** The bound per connection (tests make it small). */
  perConnection?: number;
  /** Rows as arrays of the columns in order, not objects keyed by name (cheaper for pg to build). */
  rowMode?: 'array';
}

type NamedConfig = pg.QueryConfig & { name: string };

/** A named statement on a connection of the pool, under the bound per connection. */
async function queryNamed<R extends pg.QueryResultRow>(pool: pg.Pool, config: NamedConfig, perConnection: number): Promise<pg.QueryResult<R>> {
  const client = await pool.connect();
  const names = namesOn(client);
  let retire = false;
  if (!names.has(config.name)) {
    names.add(config.name);
    retire = names.size > perConnection;
  }
  try {
    return await client.query<R>(config);
  } catch (error) {
    retire = true;
    throw error;
  } finally {
    client.release(retire);
  }
}

/**
 * Runs `text` as the named statement `key` on a connection from the pool. `key` must name everything the text
 * depends on (schema, shape): two texts under one key would run the first one's plan.
 */
export function preparedQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  pool: pg.Pool, key: string, text: string, values: unknown[], options: PreparedOptions = {},
): Promise<pg.QueryResult<R>> {
  const config = { name: statementName(key), text, values, ...(options.rowMode ? { rowMode: options.rowMode } : {}) } as NamedConfig;
  return queryNamed<R>(pool, config, options.perConnection ?? PREPARED_PER_CONNECTION);
}

/** Reads by id gathered per pool: each pool is one tenant database's, and its statements name their schema. */
const gatheredOn = new WeakMap<pg.Pool, ReadsTogether>();

/**
 * Rows by their ids (uuids) through a named statement `key` whose text is `text(idIs)`, `idIs` being how the id
 * column is compared (`= $1::uuid` or `= ANY($1::uuid[])`); `rest` are the values from `$2` on. Each row's id is its
 * first value (`rowMode: 'array'`) or its `id`, and the statement answers at most one row per id. The reads of one statement with the same `rest` asked by requests
 * served at the same moment go as one (src/tenancy/readsTogether.ts), each request answered only its own ids' rows,
 * each row its own.
 * One id has a statement of its own: against `= ANY($1::uuid[])` PostgreSQL's generic plan assumes several ids, so a
 * custom plan for one always looked cheaper and the statement was planned on every read (docs/performance.md).
 */
export async function preparedByIds<R extends pg.QueryResultRow = pg.QueryResultRow>(
  pool: pg.Pool, key: string, ids: readonly string[], text: (idIs: string) => string, rest: unknown[] = [], options: PreparedOptions = {},
): Promise<R[]> {
  if (ids.length === 0) return [];
  let gathered = gatheredOn.get(pool);
  if (!gathered) {
    gathered = new ReadsTogether();
    gatheredOn.set(pool, gathered);
  }
  const read = async (all: string[]) => {
    const one = all.length === 1;
    const { rows } = await preparedQuery<R>(pool, `${key}:${one ? 'one' : 'many'}`, text(one ? '= $1::uuid' : '= ANY($1::uuid[])'), [one ? all[0] : all, ...rest], options);
    return rows;
  };
  return gathered.read<R>(`${key}\u0000${JSON.stringify(rest)}\u0000${options.rowMode ?? ''}\u0000${options.perConnection ?? ''}`, ids, read, ROWS);
}

const ROWS = {
  idOf: (row: pg.QueryResultRow) => String(Array.isArray(row) ? row[0] : row['id']),
  // Deep: a row's JSON columns arrive as objects.
  copy: <R extends pg.QueryResultRow>(row: R): R => structuredClone(row),
};

/**
 * A statement a command sends inside a batch of simple queries on a connection it holds (runSqlCommand), where
 * the extended protocol's names cannot go: `PREPARE name (types) AS text` the first time on that connection, then
 * `EXECUTE name(values)`. `key` must name everything the text depends on (its shape and the schema). `prepared`
 * false means the caller prepares it now: it is counted as the connection's from this moment, so a second batch
 * queued behind the first on the same connection only executes it. A batch that prepared statements and failed
 * leaves unknown which of them exist: its connection must be retired. The statements count against the same bound
 * per connection as `preparedQuery`'s (`pastBound`).
 */
export function batchStatement(client: pg.PoolClient, key: string): { name: string; prepared: boolean } {
  return nameOn(client, `batch:${key}`);
}

/** `key`'s name, counted as `client`'s from now on; `prepared` says whether it already was. */
function nameOn(client: pg.PoolClient, key: string): { name: string; prepared: boolean } {
  const name = statementName(key);
  const names = namesOn(client);
  if (names.has(name)) return { name, prepared: true };
  names.add(name);
  return { name, prepared: false };
}

/**
 * A name for a statement of fixed text sent through the extended protocol on a connection the caller holds, counted
 * as the connection's like every other: the driver parses it there once. `key` names everything the text depends
 * on, its tenant's schema included (the text names it), as for `preparedQuery`.
 */
export function statementOn(client: pg.PoolClient, key: string): string {
  return nameOn(client, `on:${key}`).name;
}

/**
 * PostgreSQL refused to run a statement prepared on the connection because what it returns changed since (a
 * migration altered a column): it would refuse on every later execution there, so the connection is to be retired.
 */
export function staleStatement(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change result type');
}

/** True when `client` holds more named statements than the bound: it is to be retired on release. */
export function pastBound(client: pg.PoolClient, perConnection = PREPARED_PER_CONNECTION): boolean {
  return (preparedOn.get(client)?.size ?? 0) > perConnection;
}

const isNamed = (args: unknown[]): args is [NamedConfig] =>
  args.length === 1 && typeof args[0] === 'object' && args[0] !== null && typeof (args[0] as { name?: unknown }).name === 'string';

/** Forwards everything to `target` except what `own` answers. */
function forwarding<T extends object>(target: T, own: Partial<Record<string | symbol, unknown>>): T {
  return new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(own, property)) return own[property];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

/**
 * The pool as Prisma's adapter is given it (its `statementNameGenerator` names every statement by its text): a
 * named statement sent on the pool runs under the same bound per connection as `preparedQuery`. Inside a
 * transaction, on a connection the adapter holds, names are dropped and statements run unnamed as before: a
 * transaction is mostly writes, each statement seldom repeated on the same connection, and a connection held by a
 * transaction cannot be retired halfway.
 */
export function namingPool(pool: pg.Pool, options: PreparedOptions = {}): pg.Pool {
  const perConnection = options.perConnection ?? PREPARED_PER_CONNECTION;
  const unnamed = (client: pg.PoolClient) => forwarding(client, {
    query: (...args: unknown[]) => (client.query as (...a: unknown[]) => unknown)(
      ...(isNamed(args) ? [{ ...args[0], name: undefined }] : args)),
  });
  return forwarding(pool, {
    query: (...args: unknown[]) => (isNamed(args) ? queryNamed(pool, args[0], perConnection) : (pool.query as (...a: unknown[]) => unknown)(...args)),
    connect: (...args: unknown[]) => (args.length > 0
      ? (pool.connect as (...a: unknown[]) => unknown)(...args)
      : pool.connect().then(unnamed)),
  });
}
