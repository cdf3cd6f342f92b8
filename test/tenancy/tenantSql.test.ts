// Raw SQL reaches a tenant's schema through one module (src/tenancy/tenantSql.ts), whichever connection carries
// it: the schema is quoted there, a name that is not a plain lower-case identifier is refused before any SQL is
// sent or any connection taken, and values travel as parameters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import pg from 'pg';
import { poolSql, tenantStatement, transaction, withTenantSql } from '../../src/tenancy/tenantSql.js';

const ODD_NAMES = [
  'tenant_a"; DROP SCHEMA platform CASCADE; --',
  'tenant_a".party --',
  'Tenant_A',
  'tenant a',
  'tenant-a',
  'tenant_a;',
  '',
  '1tenant',
  'tenant_\u00e4',
  'tenant_a\u0000',
];

let pool: pg.Pool;

beforeAll(() => {
  pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 1 });
});
afterAll(async () => {
  await pool.end();
});

describe('tenant-scoped raw SQL', () => {
  it('qualifies a statement with the schema quoted', () => {
    expect(tenantStatement('tenant_acme_bank', (s) => `SELECT 1 FROM ${s}.party WHERE id = $1`)).toBe('SELECT 1 FROM "tenant_acme_bank".party WHERE id = $1');
  });

  it.each(ODD_NAMES)('refuses the schema name %j in every form, before any SQL is sent', async (name) => {
    let built = false;
    const statement = (s: string) => {
      built = true;
      return `SELECT 1 FROM ${s}.party`;
    };
    expect(() => tenantStatement(name, statement)).toThrow(/refusing unusual identifier/);
    expect(() => poolSql(pool, name)).toThrow(/refusing unusual identifier/);
    const before = pool.totalCount;
    await expect(withTenantSql(pool, name, async (client) => client.query('SELECT 1'))).rejects.toThrow(/refusing unusual identifier/);
    expect(built).toBe(false);
    // Refused before a connection was taken from the pool.
    expect(pool.totalCount).toBe(before);
  });

  it('runs on the pool and inside a transaction, with values as parameters', async () => {
    const sql = poolSql(pool, 'platform');
    const { rows } = await sql.query<{ n: string }>((s) => `SELECT count(*) AS n FROM ${s}.tenant WHERE slug = $1`, ["x'; DROP TABLE platform.tenant; --"]);
    expect(rows).toEqual([{ n: '0' }]);
    const path = await withTenantSql(pool, 'platform', async (client, tx) => {
      await tx.query((s) => `SELECT 1 FROM ${s}.tenant LIMIT 1`);
      return (await client.query<{ search_path: string }>('SHOW search_path')).rows[0]!.search_path;
    });
    expect(path).toBe('"platform"');
    // The transaction's search_path did not outlive it on the pooled connection (the pool has only that one).
    expect((await pool.query<{ search_path: string }>('SHOW search_path')).rows[0]!.search_path).not.toBe('"platform"');
  });
});

describe('a transaction whose prepared statement a migration left behind', () => {
  it('gives up its connection, so the next transaction prepares the statement again', async () => {
    const table = `stale_plan_probe_${process.pid}`;
    const probe = { name: `${table}_read`, text: `SELECT a FROM ${table}`, values: [] };
    await pool.query(`CREATE TABLE ${table} (a integer)`);
    try {
      // Prepared on the pool's one connection, then what it returns changes under it.
      await transaction(pool, (client) => client.query(probe));
      await pool.query(`ALTER TABLE ${table} ALTER COLUMN a TYPE text`);
      const stale = await transaction(pool, (client) => client.query(probe)).then(() => null, (error: unknown) => error as { code?: string });
      expect(stale?.code).toBe('0A000');
      await expect(transaction(pool, (client) => client.query(probe))).resolves.toMatchObject({ rows: [] });
    } finally {
      await pool.query(`DROP TABLE IF EXISTS ${table}`);
    }
  });
});
