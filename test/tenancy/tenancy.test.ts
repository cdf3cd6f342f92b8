// Tenancy: atomic, idempotent provisioning; sandbox data; isolation through Prisma and raw SQL; connections
// bounded by the one pool however many tenants are queried.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, type Migration } from '../../src/tenancy/migrations.js';
import { provisionTenant, TenantConflictError } from '../../src/tenancy/provisioning.js';
import { InvalidField } from '../../src/errors.js';
import { schemaForSlug } from '../../src/tenancy/schemaNames.js';
import { SANDBOX_COUNTS } from '../../src/tenancy/sandboxSeed.js';
import { withTenantSql } from '../../src/tenancy/tenantSql.js';
import { prismaForSchema } from '../../src/tenancy/tenantClients.js';
import { createPool } from '../../src/tenancy/database.js';
import type { Runtime } from '../../src/runtime.js';
import { createTenant, openTestRuntime, uniqueSlug } from '../support/harness.js';

let runtime: Runtime;
const NOW = new Date('2026-11-22T03:00:00Z');

beforeAll(async () => {
  runtime = await openTestRuntime();
});
afterAll(async () => {
  await runtime.close();
});

async function schemaExists(schema: string): Promise<boolean> {
  const { rowCount } = await runtime.pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  return rowCount === 1;
}

async function registryRows(slug: string): Promise<number> {
  return (await runtime.pool.query('SELECT 1 FROM platform.tenant WHERE slug = $1', [slug])).rowCount ?? 0;
}

const base = { displayName: 'Kestrel Finance', currency: 'INR', timeZone: 'Asia/Kolkata', sandbox: false };

describe('provisioning', () => {
  it('creates the schema at the latest migration and the registry entry with the tenant\'s business date', async () => {
    const slug = uniqueSlug('prov');
    const result = await provisionTenant(runtime.pool, runtime.migrations, { slug, ...base }, NOW);
    expect(result.created).toBe(true);
    const tenant = (await runtime.registry.findBySlug(slug))!;
    expect(tenant).toMatchObject({ slug, status: 'active', currency: 'INR', timeZone: 'Asia/Kolkata', schemaName: schemaForSlug(slug) });
    // 03:00 UTC is 08:30 in Kolkata: the same calendar day there.
    expect(tenant.businessDate).toBe('2026-11-22');
    expect(await schemaExists(tenant.schemaName)).toBe(true);
  });

  it('is idempotent: the same request again returns the same tenant, a different one is a conflict naming the fields', async () => {
    const slug = uniqueSlug('prov-idem');
    const first = await provisionTenant(runtime.pool, runtime.migrations, { slug, ...base }, NOW);
    const again = await provisionTenant(runtime.pool, runtime.migrations, { slug, ...base }, NOW);
    expect(again).toEqual({ tenantId: first.tenantId, created: false, status: 'active' });
    await expect(provisionTenant(runtime.pool, runtime.migrations, { slug, ...base, currency: 'USD', sandbox: true }, NOW))
      .rejects.toMatchObject({ constructor: TenantConflictError, fields: ['currency', 'sandbox'] });
    expect(await registryRows(slug)).toBe(1);
  });

  it('makes exactly one tenant when the same request arrives 10 times at once', async () => {
    const slug = uniqueSlug('prov-race');
    const results = await Promise.all(Array.from({ length: 10 }, () => provisionTenant(runtime.pool, runtime.migrations, { slug, ...base }, NOW)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.tenantId)).size).toBe(1);
    expect(await registryRows(slug)).toBe(1);
  });

  it('leaves nothing behind when it fails halfway, and a retry completes it', async () => {
    const slug = uniqueSlug('prov-crash');
    const broken: Migration[] = [
      ...runtime.migrations,
      { id: '99990103000000_fails', scope: 'tenant', sql: 'CREATE TABLE half_made (id int); SELECT 1/0;', checksum: 'x' },
    ];
    await expect(provisionTenant(runtime.pool, broken, { slug, ...base, sandbox: true }, NOW)).rejects.toThrow(/division by zero/);
    expect(await schemaExists(schemaForSlug(slug))).toBe(false);
    expect(await registryRows(slug)).toBe(0);
    const retry = await provisionTenant(runtime.pool, runtime.migrations, { slug, ...base, sandbox: true }, NOW);
    expect(retry.created).toBe(true);
  });

  it('rejects bad input naming the field, writing nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ slug: 'Bad Slug' }, 'slug'],
      [{ slug: 'a' }, 'slug'],
      [{ slug: 'double--hyphen' }, 'slug'],
      [{ currency: 'XYZ' }, 'currency'],
      [{ currency: 'usd' }, 'currency'],
      [{ timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
      [{ businessDate: '2026-02-30' }, 'businessDate'],
      // After today in the tenant's own zone: at 03:00 UTC it is 08:30 on the 22nd in Kolkata, still the 21st in
      // Los Angeles.
      [{ businessDate: '2026-11-23' }, 'businessDate'],
      [{ businessDate: '2199-12-31', sandbox: true }, 'businessDate'],
      [{ businessDate: '2026-11-22', timeZone: 'America/Los_Angeles' }, 'businessDate'],
      // More than 1,827 days (five years) before today in its zone: end of day would run once for every date since.
      [{ businessDate: '1926-11-22' }, 'businessDate'],
      [{ businessDate: '2021-11-20' }, 'businessDate'],
      [{ displayName: '   ' }, 'displayName'],
    ];
    for (const [override, field] of cases) {
      const input = { slug: uniqueSlug('prov-bad'), ...base, ...override } as Parameters<typeof provisionTenant>[2];
      await expect(provisionTenant(runtime.pool, runtime.migrations, input, NOW)).rejects.toMatchObject({ constructor: InvalidField, field });
      expect(await registryRows(input.slug), input.slug).toBe(0);
    }
    // Today in its zone, or any day back to 1,827 days before, is a first business date.
    const today = await provisionTenant(runtime.pool, runtime.migrations, { slug: uniqueSlug('prov-today'), ...base, businessDate: '2026-11-22' }, NOW);
    expect(today.created).toBe(true);
    const earliest = await provisionTenant(runtime.pool, runtime.migrations, { slug: uniqueSlug('prov-earliest'), ...base, businessDate: '2021-11-21' }, NOW);
    expect(earliest.created).toBe(true);
    // Counted from today in its own zone: still the 21st in Los Angeles.
    const western = await provisionTenant(runtime.pool, runtime.migrations, { slug: uniqueSlug('prov-west'), ...base, timeZone: 'America/Los_Angeles', businessDate: '2021-11-20' }, NOW);
    expect(western.created).toBe(true);
    await expect(provisionTenant(runtime.pool, runtime.migrations, { slug: uniqueSlug('prov-typo'), ...base, businessDate: '1926-11-22' }, NOW))
      .rejects.toThrow('businessDate may not be before 2021-11-21, 1827 days before today in Asia/Kolkata');
  });

  it('seeds a sandbox tenant with realistic demo data', async () => {
    const tenant = await createTenant(runtime, uniqueSlug('sandbox'), { sandbox: true, currency: 'KES', timeZone: 'Africa/Nairobi' });
    const db = runtime.tenantClients.forSchema(tenant.schemaName);
    expect(await db.party.count()).toBe(SANDBOX_COUNTS.parties);
    const products = await db.loanProduct.findMany({ orderBy: { code: 'asc' } });
    expect(products.map((p) => p.code)).toEqual(['AUTO-NEW', 'PL-STD', 'SME-WC']);
    expect(products.every((p) => p.currency === 'KES')).toBe(true);
    // Amounts are scaled to the currency: a KES personal loan starts at 130,000, not 1,000.
    expect(products.find((p) => p.code === 'PL-STD')!.minAmount.toString()).toBe('130000');
    expect(tenant.sandbox).toBe(true);
  });
});

describe('isolation between tenants', () => {
  it('Prisma clients see only their own tenant\'s rows, and their SQL is schema-qualified', async () => {
    const [a, b] = await Promise.all([createTenant(runtime, uniqueSlug('iso-a')), createTenant(runtime, uniqueSlug('iso-b'))]);
    const dbA = runtime.tenantClients.forSchema(a.schemaName);
    const dbB = runtime.tenantClients.forSchema(b.schemaName);
    const secret = await dbA.party.create({ data: { id: randomUUID(), kind: 'PERSON', legalName: 'Only In A' } });
    expect(await dbA.party.findUnique({ where: { id: secret.id } })).not.toBeNull();
    expect(await dbB.party.findUnique({ where: { id: secret.id } })).toBeNull();
    expect(await dbB.party.count()).toBe(0);
    expect(await dbB.party.findMany({ where: { legalName: 'Only In A' } })).toEqual([]);

    const logged = prismaForSchema(runtime.pool, b.schemaName);
    const statements: string[] = [];
    const watcher = new (logged.constructor as typeof import('../../src/generated/prisma/client.js').PrismaClient)({
      adapter: new (await import('@prisma/adapter-pg')).PrismaPg(runtime.pool, { schema: b.schemaName }),
      log: [{ emit: 'event', level: 'query' }],
    });
    watcher.$on('query', (event) => statements.push(event.query));
    await watcher.party.findMany({ where: { legalName: 'x' } });
    await watcher.party.count();
    expect(statements.length).toBeGreaterThan(0);
    for (const sql of statements) {
      expect(sql).toContain(`"${b.schemaName}"."party"`);
      expect(sql).not.toContain(a.schemaName);
    }
    await watcher.$disconnect();
    await logged.$disconnect();
  });

  it('raw SQL runs inside the tenant\'s schema only for its transaction, and never leaks search_path to the pool', async () => {
    const [a, b] = await Promise.all([createTenant(runtime, uniqueSlug('raw-a')), createTenant(runtime, uniqueSlug('raw-b'))]);
    await withTenantSql(runtime.pool, a.schemaName, (sql) =>
      sql.query(`INSERT INTO party (id, kind, legal_name) VALUES ($1, 'BUSINESS', 'Raw A Traders')`, [randomUUID()]));
    const seenByB = await withTenantSql(runtime.pool, b.schemaName, async (sql) => (await sql.query('SELECT legal_name FROM party')).rows);
    expect(seenByB).toEqual([]);
    const seenByA = await withTenantSql(runtime.pool, a.schemaName, async (sql) => (await sql.query('SELECT legal_name FROM party')).rows);
    expect(seenByA).toEqual([{ legal_name: 'Raw A Traders' }]);
    // Every pooled connection is back on the default search_path: an unqualified table is not found.
    const clients = await Promise.all(Array.from({ length: runtime.config.PG_POOL_MAX }, () => runtime.pool.connect()));
    try {
      for (const client of clients) {
        const { rows } = await client.query('SHOW search_path');
        expect(rows[0].search_path).not.toContain('tenant_');
      }
    } finally {
      for (const client of clients) client.release();
    }
    await expect(runtime.pool.query('SELECT count(*) FROM party')).rejects.toThrow(/does not exist/);
  });

  it('a per-tenant client is created once under concurrency', async () => {
    const tenant = await createTenant(runtime, uniqueSlug('once'));
    const before = runtime.tenantClients.stats().created;
    const clients = await Promise.all(Array.from({ length: 50 }, async () => runtime.tenantClients.forSchema(tenant.schemaName)));
    expect(new Set(clients).size).toBe(1);
    expect(runtime.tenantClients.stats().created).toBe(before + 1);
  });
});

describe('one pool for every tenant', () => {
  // Creating 200 tenants runs every migration 200 times: over a minute on a loaded two-core machine.
  it('queries 200 tenants with the server\'s connection count never above the pool\'s max', { timeout: 180_000 }, async () => {
    const slugs = Array.from({ length: 200 }, (_, i) => uniqueSlug(`many${i}`));
    for (let i = 0; i < slugs.length; i += 20) {
      await Promise.all(slugs.slice(i, i + 20).map((slug) => createTenant(runtime, slug)));
    }
    const applicationName = `lendgraph-bound-${randomUUID().slice(0, 8)}`;
    const bounded = await openTestRuntime({ PG_POOL_MAX: '5', TENANT_CLIENT_CACHE_MAX: '50', TENANT_CLIENT_EVICTION_GRACE_MS: '200', PG_APPLICATION_NAME: applicationName });
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await runtime.pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
        peak = Math.max(peak, rows[0]!.n);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      const counts = await Promise.all(slugs.map(async (slug, i) => {
        const tenant = (await bounded.registry.findBySlug(slug))!;
        const db = bounded.tenantClients.forSchema(tenant.schemaName);
        await db.party.create({ data: { id: randomUUID(), kind: 'PERSON', legalName: `Borrower ${i}` } });
        return db.party.count();
      }));
      expect(counts.every((n) => n === 1)).toBe(true);
    } finally {
      sampling = false;
      await sampler;
    }
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(5);
    expect(bounded.pool.totalCount).toBeLessThanOrEqual(5);
    const stats = bounded.tenantClients.stats();
    expect(stats.cached).toBeLessThanOrEqual(50);
    expect(stats.created).toBeGreaterThanOrEqual(200);
    // Evicted clients, some evicted while their requests were still running, were disconnected after the grace
    // period and let go of the shared pool: listeners are bounded by the cache, not by the tenants touched.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(bounded.tenantClients.stats().retiring).toBe(0);
    // 50 cached tenant clients + the platform client + the pool's own error logger.
    expect(bounded.pool.listenerCount('error')).toBe(50 + 2);
    await bounded.close();
  });
});

describe('resilience of the pool', () => {
  // A bare pool, as the migration runner and provisioning use before any Prisma client (which would add
  // listeners of its own) exists.
  it('survives PostgreSQL ending its idle connections, and serves the next query', async () => {
    const applicationName = `lendgraph-kill-${randomUUID().slice(0, 8)}`;
    const pool = createPool(runtime.database.url, 2, applicationName);
    try {
      await pool.query('SELECT 1');
      expect(pool.listenerCount('error')).toBe(1);
      const killed = await runtime.pool.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
      expect(killed.rowCount).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await pool.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await pool.end();
    }
  });
});
