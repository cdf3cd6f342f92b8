// Where each tenant's schema lives. The registry (the platform schema, in the `main` database) names a database
// for every tenant; the gateways' settings give each name its URL (TENANT_DATABASES). Every gateway holds one pool
// per database and reaches a tenant's schema through the pool of the database the registry names, so one set of
// gateways serves tenants spread over several PostgreSQL servers. The platform schema, the job queue and the
// registry stay on `main`.
//
// Request paths know the tenant's record and ask `poolFor(tenant)`. The event machinery (settling, the live
// feed, webhook delivery) is handed only a schema name and asks `poolForSchema(schema)`: a lookup in the
// registry cached for the registry's TTL, so a tenant moved to another database is followed within that TTL, the
// same bound every gateway's tenant cache already has (a move waits it out before switching).
import { LRUCache } from 'lru-cache';
import type pg from 'pg';

export const MAIN_DATABASE = 'main';

/** What a tenant's record says about where it lives. */
export interface TenantPlace {
  schemaName: string;
  database: string;
}

/** A tenant whose registry entry names a database this process has no URL for: a settings mistake. */
export class UnknownDatabaseError extends Error {
  constructor(readonly database: string) {
    super(`no database "${database}" in TENANT_DATABASES; tenants placed on it cannot be served here`);
    this.name = 'UnknownDatabaseError';
  }
}

export interface PlacedDatabase {
  name: string;
  pool: pg.Pool;
  url: string;
  /** How long making a connection to it may take (PG_CONNECT_TIMEOUT_MS): its pool's, and its LISTEN session's. */
  connectTimeoutMs?: number;
}

export class Databases {
  private readonly byName: ReadonlyMap<string, PlacedDatabase>;
  private readonly schemas: LRUCache<string, string>;

  constructor(
    readonly main: PlacedDatabase,
    others: readonly PlacedDatabase[] = [],
    registryTtlMs = 1_000,
  ) {
    this.byName = new Map([main, ...others].map((database) => [database.name, database]));
    this.schemas = new LRUCache({ max: 50_000, ttl: Math.max(registryTtlMs, 1) });
  }

  /** Every database this process can reach, `main` first. */
  list(): PlacedDatabase[] {
    return [...this.byName.values()];
  }

  /** Whether tenants can live anywhere but `main` (otherwise no lookup is ever needed). */
  get placed(): boolean {
    return this.byName.size > 1;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  pool(name: string): pg.Pool {
    const database = this.byName.get(name);
    if (!database) throw new UnknownDatabaseError(name);
    return database.pool;
  }

  /** The pool holding this tenant's schema. */
  poolFor(place: TenantPlace): pg.Pool {
    // Remembered only when not known: a caller holding an old record (a long end-of-day run) must not keep a
    // stale place alive past the registry's TTL for the event machinery.
    if (this.placed && !this.schemas.has(place.schemaName)) this.schemas.set(place.schemaName, place.database);
    return this.pool(place.database);
  }

  /** The name of the database holding a schema, from the registry (cached for the registry's TTL). */
  async databaseOf(schemaName: string): Promise<string> {
    if (!this.placed) return MAIN_DATABASE;
    const known = this.schemas.get(schemaName);
    if (known) return known;
    const { rows } = await this.main.pool.query<{ database: string }>('SELECT database FROM platform.tenant WHERE schema_name = $1', [schemaName]);
    // A schema with no registry row (a test's, a half-made copy's) can only be on the platform's own database.
    const database = rows[0]?.database ?? MAIN_DATABASE;
    this.schemas.set(schemaName, database);
    return database;
  }

  /** The pool holding a schema the caller knows only by name (the event machinery, webhook jobs). */
  async poolForSchema(schemaName: string): Promise<pg.Pool> {
    return this.pool(await this.databaseOf(schemaName));
  }

  /** Drops what this process remembers of a schema's place (it was just moved). */
  forget(schemaName: string): void {
    this.schemas.delete(schemaName);
  }
}

/** Every tenant on one pool: a single-database deployment, and tests that make their own pool. */
export function singleDatabase(pool: pg.Pool, url = ''): Databases {
  return new Databases({ name: MAIN_DATABASE, pool, url });
}

/** A plain pool means every tenant lives on it. */
export function databasesOf(on: pg.Pool | Databases): Databases {
  return on instanceof Databases ? on : singleDatabase(on);
}
