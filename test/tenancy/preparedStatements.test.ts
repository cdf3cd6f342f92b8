// Named statements (src/tenancy/preparedStatements.ts): prepared once per connection and reused, at most a bounded
// number per connection (each names a tenant's schema, so an unbounded set would grow with the tenants), and a
// failing statement does not outlive its connection. Prisma's reads go the same way; its transactions stay unnamed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import pg from 'pg';
import { batchStatement, pastBound, preparedQuery } from '../../src/tenancy/preparedStatements.js';
import { prismaForSchema } from '../../src/tenancy/tenantClients.js';
import { loadMigrations } from '../../src/tenancy/migrations.js';
import { provisionTenant } from '../../src/tenancy/provisioning.js';
import { schemaForSlug } from '../../src/tenancy/schemaNames.js';

let pool: pg.Pool;

// One connection, so that every call lands on the same backend and what it holds can be read back.
beforeAll(() => {
  pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 1 });
});
afterAll(async () => {
  await pool.end();
});

/** The backend's pid and the named statements it holds, read on the pool's one connection. */
async function backend(): Promise<{ pid: number; prepared: number }> {
  const { rows } = await pool.query<{ pid: number; prepared: string }>(
    `SELECT pg_backend_pid() AS pid, (SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'lg\\_%') AS prepared`);
  return { pid: rows[0]!.pid, prepared: Number(rows[0]!.prepared) };
}

describe('named statements', () => {
  it('prepares a statement once on a connection and runs it again with other values', async () => {
    const before = await backend();
    const first = await preparedQuery<{ n: number }>(pool, 'test:add-one', 'SELECT $1::int + 1 AS n', [1]);
    const again = await preparedQuery<{ n: number }>(pool, 'test:add-one', 'SELECT $1::int + 1 AS n', [41]);
    expect(first.rows[0]!.n).toBe(2);
    expect(again.rows[0]!.n).toBe(42);
    const after = await backend();
    expect(after.pid).toBe(before.pid);
    expect(after.prepared).toBe(before.prepared + 1);
  });

  it('counts statements prepared inside a batch of simple queries against the same bound', async () => {
    const client = await pool.connect();
    try {
      const key = `test:batch-a:${Date.now()}`;
      const first = batchStatement(client, key);
      // The first ask is the one to prepare it; every later one, even before that batch has run, only executes it.
      expect(first.prepared).toBe(false);
      expect(batchStatement(client, key)).toEqual({ name: first.name, prepared: true });
      await client.query(`PREPARE "${first.name}" (int) AS SELECT $1 + 1 AS n;\nEXECUTE "${first.name}"(1)`);
      expect(pastBound(client)).toBe(false);
      const second = batchStatement(client, `test:batch-b:${Date.now()}`);
      await client.query(`PREPARE "${second.name}" (int) AS SELECT $1 + 2 AS n`);
      expect((await client.query<{ n: number }>(`EXECUTE "${second.name}"(40)`)).rows[0]!.n).toBe(42);
      // Past the bound (two statements or more where one is allowed), the connection is to be retired on release.
      expect(pastBound(client, 1)).toBe(true);
    } finally {
      client.release(true);
    }
  });

  it('retires a connection that passes the bound, so the statements one backend holds never grow past it', async () => {
    const options = { perConnection: 3 };
    const { pid } = await backend();
    const seen: { pid: number; prepared: number }[] = [];
    for (let i = 0; i < 10; i += 1) {
      await preparedQuery(pool, `test:bound-${i}`, `SELECT ${i} AS n`, [], options);
      seen.push(await backend());
    }
    // Every backend that served the calls held at most the bound, plus the statement of the test before.
    expect(Math.max(...seen.map((b) => b.prepared))).toBeLessThanOrEqual(options.perConnection + 1);
    // And the pool moved to fresh connections to keep it so.
    expect(new Set([pid, ...seen.map((b) => b.pid)]).size).toBeGreaterThan(2);
  });

  it('closes the connection of a statement that fails, and the same name then prepares afresh', async () => {
    const { pid } = await backend();
    await expect(preparedQuery(pool, 'test:fails', 'SELECT 1 / $1::int AS n', [0])).rejects.toThrow(/division by zero/);
    const after = await backend();
    expect(after.pid).not.toBe(pid);
    expect(after.prepared).toBe(0);
    const { rows } = await preparedQuery<{ n: number }>(pool, 'test:fails', 'SELECT 1 / $1::int AS n', [1]);
    expect(rows[0]!.n).toBe(1);
  });

  it('runs a tenant Prisma client\'s reads as named statements, and its transactions unnamed', async () => {
    const slug = `prepared-${Date.now()}`;
    const admin = new pg.Pool({ connectionString: inject('databaseUrl'), max: 1 });
    try {
      await provisionTenant(admin, loadMigrations(), { slug, displayName: 'Prepared', currency: 'USD', timeZone: 'UTC', sandbox: false }, new Date());
    } finally {
      await admin.end();
    }
    const prisma = prismaForSchema(pool, schemaForSlug(slug));
    try {
      const before = await backend();
      await prisma.party.findMany({ where: { kind: 'person' }, take: 1 });
      await prisma.party.findMany({ where: { kind: 'person' }, take: 1 });
      const read = await backend();
      expect(read.pid).toBe(before.pid);
      // Two reads of the same text: one statement prepared, used twice.
      expect(read.prepared).toBe(before.prepared + 1);
      await prisma.$transaction(async (tx) => {
        await tx.party.findMany({ where: { kind: 'organisation' }, take: 2 });
      });
      expect((await backend()).prepared).toBe(read.prepared);
    } finally {
      await prisma.$disconnect();
    }
  });
});
