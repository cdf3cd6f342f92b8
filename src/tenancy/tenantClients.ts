// Per-tenant Prisma clients over the process's one pg.Pool (DESIGN.md). A client is only a view of the pool
// that qualifies every table with the tenant's schema, so connections are bounded by the pool, never by the
// number of tenants. Clients are cached with a bound; an evicted client is disconnected, which releases
// nothing of the shared pool (the adapter does not own it).
import { PrismaPg } from '@prisma/adapter-pg';
import { LRUCache } from 'lru-cache';
import type pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { PLATFORM_SCHEMA } from './schemaNames.js';

export type TenantDb = PrismaClient;

export function prismaForSchema(pool: pg.Pool, schema: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(pool, { schema }) });
}

export function platformPrisma(pool: pg.Pool): PrismaClient {
  return prismaForSchema(pool, PLATFORM_SCHEMA);
}

export class TenantClients {
  private readonly cache: LRUCache<string, PrismaClient>;
  private created = 0;

  constructor(
    private readonly pool: pg.Pool,
    max: number,
  ) {
    this.cache = new LRUCache({
      max,
      dispose: (client) => {
        void client.$disconnect();
      },
    });
  }

  /** The client for a tenant schema. Construction is synchronous, so concurrent callers share one. */
  forSchema(schema: string): PrismaClient {
    let client = this.cache.get(schema);
    if (!client) {
      client = prismaForSchema(this.pool, schema);
      this.cache.set(schema, client);
      this.created += 1;
    }
    return client;
  }

  stats(): { cached: number; created: number; max: number } {
    return { cached: this.cache.size, created: this.created, max: this.cache.max };
  }

  async close(): Promise<void> {
    this.cache.clear();
  }
}
