// Per-tenant Prisma clients over the pool of the database each tenant is placed on (DESIGN.md). A client is only a view of the pool
// that qualifies every table with the tenant's schema, so connections are bounded by the pool, never by the
// number of tenants. Clients are cached with a bound.
//
// Eviction: a connected adapter keeps an 'error' listener on the shared pool (and through it, the whole
// client) until the client is disconnected. Disconnecting a client that a request is still using makes Prisma
// reconnect it lazily, and the listener then stays forever: a leak that grows with tenant churn. So every
// client counts its in-flight operations, and an evicted client is disconnected only once it has been idle for
// a grace period; if anything uses it after that, the same rule disconnects it again when it goes idle.
import { PrismaPg } from '@prisma/adapter-pg';
import { LRUCache } from 'lru-cache';
import type pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { namingPool, statementName } from './preparedStatements.js';
import { PLATFORM_SCHEMA } from './schemaNames.js';
import { MAIN_DATABASE, type Databases, type TenantPlace } from './placement.js';

// A loan's replay checkpoint is the posting engine's alone (plain SQL): no read through the ORM carries it.
const TENANT_OMIT = { loan: { replayCheckpoint: true } } as const;

export type TenantPrisma = PrismaClient<never, typeof TENANT_OMIT>;

// A failed query's error says what failed, not where: by default Prisma's message carries the calling source lines
// and file path, which the log of an outage repeated for every request that failed.
const ERROR_FORMAT = 'minimal';

export function prismaForSchema(pool: pg.Pool, schema: string): TenantPrisma {
  // Statements named by their text, run as named statements outside transactions (src/tenancy/preparedStatements.ts).
  return new PrismaClient({
    adapter: new PrismaPg(namingPool(pool), { schema, statementNameGenerator: (query) => statementName(query.sql) }), omit: TENANT_OMIT, errorFormat: ERROR_FORMAT,
  });
}

export function platformPrisma(pool: pg.Pool): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(pool, { schema: PLATFORM_SCHEMA }), errorFormat: ERROR_FORMAT });
}

class Usage {
  inflight = 0;
  retired = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly disconnect: () => Promise<void>,
    private readonly graceMs: number,
    private readonly onDisconnected: (usage: Usage) => void,
  ) {}

  begin(): void {
    this.inflight += 1;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  end(): void {
    this.inflight -= 1;
    if (this.retired && this.inflight === 0) this.scheduleDisconnect();
  }

  retire(): void {
    this.retired = true;
    if (this.inflight === 0) this.scheduleDisconnect();
  }

  private scheduleDisconnect(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.inflight === 0) void this.disconnect().finally(() => this.onDisconnected(this));
    }, this.graceMs);
    this.timer.unref();
  }

  cancel(): void {
    clearTimeout(this.timer);
  }
}

function trackedClient(base: TenantPrisma, usage: Usage) {
  return base.$extends({
    name: 'lendgraph-usage',
    query: {
      async $allOperations({ args, query }) {
        usage.begin();
        try {
          return await query(args);
        } finally {
          usage.end();
        }
      },
    },
  });
}

/** A tenant's data access: a Prisma client whose every query is qualified with the tenant's schema. */
export type TenantDb = ReturnType<typeof trackedClient>;
/** The client inside one of a tenant's transactions (what a command's work receives). */
export type Tx = Parameters<Parameters<TenantDb['$transaction']>[0]>[0];

interface Entry {
  db: TenantDb;
  base: TenantPrisma;
  usage: Usage;
}

export class TenantClients {
  private readonly cache: LRUCache<string, Entry>;
  private readonly retiring = new Set<Usage>();
  private readonly bases = new Map<Usage, TenantPrisma>();
  private created = 0;

  constructor(
    private readonly databases: Databases,
    max: number,
    private readonly evictionGraceMs = 30_000,
  ) {
    // Each connected client holds one listener on its pool; allow one per cached client and the retiring.
    for (const database of databases.list()) database.pool.setMaxListeners(0);
    this.cache = new LRUCache({
      max,
      dispose: (entry) => {
        this.retiring.add(entry.usage);
        entry.usage.retire();
      },
    });
  }

  /** The client for a tenant, on the database its registry entry names. */
  forTenant(tenant: TenantPlace): TenantDb {
    return this.forSchema(tenant.schemaName, tenant.database);
  }

  /**
   * The client for a schema on a named database (the platform's own unless said). Construction is synchronous,
   * so concurrent callers share one. Keyed by both: while a tenant is being moved its schema exists on two.
   */
  forSchema(schema: string, database: string = MAIN_DATABASE): TenantDb {
    const key = database === MAIN_DATABASE ? schema : `${database}/${schema}`;
    const cached = this.cache.get(key);
    if (cached) return cached.db;
    const base = prismaForSchema(this.databases.pool(database), schema);
    const usage: Usage = new Usage(() => base.$disconnect(), this.evictionGraceMs, (done) => {
      if (done.inflight === 0) {
        this.retiring.delete(done);
        this.bases.delete(done);
      }
    });
    const entry = { db: trackedClient(base, usage), base, usage };
    this.cache.set(key, entry);
    this.bases.set(usage, base);
    this.created += 1;
    return entry.db;
  }

  stats(): { cached: number; created: number; retiring: number; max: number } {
    return { cached: this.cache.size, created: this.created, retiring: this.retiring.size, max: this.cache.max };
  }

  /** At shutdown, after in-flight work has drained: disconnect everything now. */
  async close(): Promise<void> {
    const bases = [...this.bases.values()];
    for (const usage of this.bases.keys()) usage.cancel();
    this.retiring.clear();
    this.bases.clear();
    this.cache.clear();
    await Promise.all(bases.map((base) => base.$disconnect()));
  }
}
