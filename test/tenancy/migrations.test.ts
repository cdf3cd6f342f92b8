// The migration runner: one transaction and lock per schema, failures isolated and reported, resumable,
// safe when two processes start at once, and edited migrations refused.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, loadMigrations, migrateAll, latestVersion } from '../../src/tenancy/migrations.js';
import type { Runtime } from '../../src/runtime.js';
import { disburseLoan } from '../../src/services/servicing/loans.js';
import { createApplication } from '../../src/services/origination/applications.js';
import { Decimal } from '../../src/domain/money.js';
import { createTenant, openTestRuntime, uniqueSlug } from '../support/harness.js';

const run = promisify(execFile);

/** The project's migrations plus extra tenant migrations, in a folder of their own. */
function migrationsWith(extra: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lendgraph-migrations-'));
  cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  for (const [id, sql] of Object.entries(extra)) {
    mkdirSync(path.join(dir, id));
    writeFileSync(path.join(dir, id, 'migration.sql'), `-- lendgraph:scope=tenant\n${sql}\n`);
  }
  return dir;
}

let runtime: Runtime;

async function appliedIds(schema: string): Promise<string[]> {
  const { rows } = await runtime.pool.query<{ id: string }>(`SELECT id FROM ${schema}.schema_migration ORDER BY id`);
  return rows.map((r) => r.id);
}

async function registryVersion(slug: string): Promise<string | null> {
  const { rows } = await runtime.pool.query<{ v: string | null }>('SELECT schema_version AS v FROM platform.tenant WHERE slug = $1', [slug]);
  return rows[0]!.v;
}

beforeAll(async () => {
  runtime = await openTestRuntime();
});
afterAll(async () => {
  await runtime.close();
});

describe('migration runner', () => {
  it('has applied the platform migrations and records them in platform.schema_migration', async () => {
    const platformIds = loadMigrations().filter((m) => m.scope === 'platform').map((m) => m.id);
    expect(await appliedIds('platform')).toEqual(platformIds);
  });

  it('starts new tenants at the latest migration', async () => {
    const tenant = await createTenant(runtime, uniqueSlug('mig-new'));
    const tenantIds = loadMigrations().filter((m) => m.scope === 'tenant').map((m) => m.id);
    expect(await appliedIds(tenant.schemaName)).toEqual(tenantIds);
    expect(tenant.schemaVersion).toBe(latestVersion(loadMigrations(), 'tenant'));
  });

  it('reports a tenant whose migration fails, leaves it at its previous version, migrates the others, and resumes', async () => {
    const [a, b, c] = await Promise.all(['mig-a', 'mig-b', 'mig-c'].map((p) => createTenant(runtime, uniqueSlug(p))));
    const before = b!.schemaVersion;
    // Tenant b already has a table the new migration wants to create: its migration fails.
    await runtime.pool.query(`CREATE TABLE ${b!.schemaName}.collection_note (id int)`);
    const dir = migrationsWith({ '99990101000000_collection_notes': 'CREATE TABLE collection_note (id uuid PRIMARY KEY, body text NOT NULL);\nALTER TABLE party ADD COLUMN note_count int NOT NULL DEFAULT 0;' });
    const migrations = loadMigrations(dir);
    const progress: string[] = [];
    const report = await migrateAll(runtime.pool, migrations, {
      concurrency: 2,
      only: [a!.slug, b!.slug, c!.slug],
      onProgress: (outcome, done, total) => progress.push(`${done}/${total} ${outcome.tenant}`),
    });
    expect(progress).toHaveLength(3);
    expect(report.failed).toHaveLength(1);
    const failure = report.failed[0]!;
    expect(failure.tenant).toBe(b!.slug);
    expect(failure.error!.migrationId).toBe('99990101000000_collection_notes');
    expect(failure.error!.message).toMatch(/already exists/);
    // b is untouched, as a whole: not even the ALTER of the same migration survived.
    expect(await registryVersion(b!.slug)).toBe(before);
    expect(await appliedIds(b!.schemaName)).not.toContain('99990101000000_collection_notes');
    const column = await runtime.pool.query(`SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND column_name = 'note_count'`, [b!.schemaName]);
    expect(column.rowCount).toBe(0);
    for (const ok of [a!, c!]) {
      expect(await registryVersion(ok.slug)).toBe('99990101000000_collection_notes');
      expect(await appliedIds(ok.schemaName)).toContain('99990101000000_collection_notes');
    }
    // Mend b and run again: b catches up, the others have nothing to do.
    await runtime.pool.query(`DROP TABLE ${b!.schemaName}.collection_note`);
    const second = await migrateAll(runtime.pool, migrations, { concurrency: 2, only: [a!.slug, b!.slug, c!.slug] });
    expect(second.failed).toEqual([]);
    expect(Object.fromEntries(second.tenants.map((t) => [t.tenant, t.applied]))).toEqual({
      [a!.slug]: [],
      [b!.slug]: ['99990101000000_collection_notes'],
      [c!.slug]: [],
    });
  });

  it('at start-up (behindOnly) opens only the schemas whose registry version is behind, leaving the others and their registry rows untouched', async () => {
    const [current, behind] = await Promise.all(['mig-cur', 'mig-behind'].map((p) => createTenant(runtime, uniqueSlug(p))));
    const migrations = loadMigrations(migrationsWith({ '99990103000000_behind_only_probe': 'CREATE TABLE behind_only_probe (id int);' }));
    // `current` is at the new latest already; `behind` is not.
    await migrateAll(runtime.pool, migrations, { concurrency: 1, only: [current!.slug] });
    const updatedAt = async (slug: string) => (await runtime.pool.query<{ at: Date }>('SELECT updated_at AS at FROM platform.tenant WHERE slug = $1', [slug])).rows[0]!.at.getTime();
    const before = await updatedAt(current!.slug);
    const report = await migrateAll(runtime.pool, migrations, { concurrency: 2, only: [current!.slug, behind!.slug], behindOnly: true });
    expect(report.failed).toEqual([]);
    expect(report.tenants.map((t) => [t.tenant, t.applied])).toEqual([[behind!.slug, ['99990103000000_behind_only_probe']]]);
    expect(await registryVersion(behind!.slug)).toBe('99990103000000_behind_only_probe');
    expect(await updatedAt(current!.slug)).toBe(before);
    // Nothing left behind: a second start visits no schema at all.
    const again = await migrateAll(runtime.pool, migrations, { concurrency: 2, only: [current!.slug, behind!.slug], behindOnly: true });
    expect(again.tenants).toEqual([]);
  });

  it('lets two processes migrate at once without colliding: each migration applied exactly once', async () => {
    const tenants = await Promise.all(['mig-p1', 'mig-p2', 'mig-p3', 'mig-p4'].map((p) => createTenant(runtime, uniqueSlug(p))));
    const dir = migrationsWith({
      '99990102000000_migration_probe': 'CREATE TABLE migration_probe (code text PRIMARY KEY);',
      // Slow enough that the two processes overlap on every schema.
      '99990102000001_slow_backfill': 'SELECT pg_sleep(0.2);\nINSERT INTO migration_probe VALUES (\'1100-principal-receivable\');',
    });
    const slugs = tenants.map((t) => t.slug).join(',');
    const args = ['tsx', 'test/support/migrateProcess.ts', runtime.database.url, dir, slugs];
    const [first, second] = await Promise.all([run('npx', args), run('npx', args)]);
    const reports = [JSON.parse(first.stdout), JSON.parse(second.stdout)];
    for (const report of reports) expect(report.failed).toEqual([]);
    for (const tenant of tenants) {
      const applied = reports.flatMap((r) => r.tenants.filter((t: { tenant: string }) => t.tenant === tenant.slug).flatMap((t: { applied: string[] }) => t.applied));
      expect(applied.sort()).toEqual(['99990102000000_migration_probe', '99990102000001_slow_backfill']);
      const rows = await runtime.pool.query(`SELECT code FROM ${tenant.schemaName}.migration_probe`);
      expect(rows.rowCount).toBe(1);
    }
  });

  it('gives a tenant booked before it the interest-in-advance account, on a spare code when the tenant took 2150, and its loans the role', async () => {
    const tenant = await createTenant(runtime, uniqueSlug('mig-adv'), { sandbox: true, businessDate: '2026-12-01' });
    const db = runtime.tenantClients.forSchema(tenant.schemaName);
    const command = { tenant: tenant.slug, actor: { subject: 'test', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'mig-adv' }, now: new Date() };
    const { loanId } = await disburseLoan(db, command, '2026-12-01', { productCode: 'PL-STD', principal: new Decimal('6000'), numberOfRepayments: 12, disbursementDate: '2026-12-01' });
    // Back to how such a tenant looked before the migration, with an account of its own on 2150.
    const id = '20261203160000_tenant_interest_in_advance';
    const s = tenant.schemaName;
    for (const sql of [
      `UPDATE ${s}.loan SET accounts = accounts - 'interestInAdvance'`,
      `ALTER TABLE ${s}.loan DROP COLUMN interest_in_advance`,
      `DELETE FROM ${s}.ledger_account WHERE role = 'interestInAdvance'`,
      `INSERT INTO ${s}.ledger_account (code, name, kind, created_by, created_at) VALUES ('2150', 'Deposits held', 'liability', 'tenant', now())`,
      `DELETE FROM ${s}.schema_migration WHERE id = '${id}'`,
    ]) await runtime.pool.query(sql);
    const report = await migrateAll(runtime.pool, loadMigrations(), { concurrency: 1, only: [tenant.slug] });
    expect(report.failed).toEqual([]);
    expect(report.tenants[0]!.applied).toEqual([id]);
    const { rows: accounts } = await runtime.pool.query(`SELECT code, name, kind FROM ${s}.ledger_account WHERE role = 'interestInAdvance'`);
    expect(accounts).toEqual([{ code: '2151', name: 'Interest received in advance', kind: 'liability' }]);
    const { rows: loans } = await runtime.pool.query(`SELECT accounts->>'interestInAdvance' AS account, interest_in_advance::text AS balance FROM ${s}.loan WHERE id = $1`, [loanId]);
    expect(loans).toEqual([{ account: '2151', balance: '0.0000' }]);
    // A new tenant gets the standard code.
    const fresh = await createTenant(runtime, uniqueSlug('mig-adv-new'));
    const { rows: standard } = await runtime.pool.query(`SELECT code FROM ${fresh.schemaName}.ledger_account WHERE role = 'interestInAdvance'`);
    expect(standard).toEqual([{ code: '2150' }]);
  });

  it('numbers a tenant\'s existing loans in booking order and keeps its applications\' numbers, then counts on from there', async () => {
    const tenant = await createTenant(runtime, uniqueSlug('mig-num'), { sandbox: true, businessDate: '2026-12-01' });
    const db = runtime.tenantClients.forSchema(tenant.schemaName);
    const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 9, minute));
    const command = (now: Date) => ({ tenant: tenant.slug, actor: { subject: 'test', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'mig-num' }, now });
    const book = async (now: Date) => (await disburseLoan(db, command(now), '2026-12-01', { productCode: 'PL-STD', principal: new Decimal('6000'), numberOfRepayments: 12, disbursementDate: '2026-12-01' })).loanId;
    // Inserted in one order, booked (created_at) in another: the backfill follows the booking.
    const second = await book(at(2));
    const first = await book(at(1));
    const third = await book(at(3));
    const apply = async (n: number) => (await createApplication(db, runtime.dataKey, command(at(n)), '2026-12-01', {
      productCode: 'PL-STD', amount: '5000', numberOfRepayments: 12, purpose: 'a car',
      applicant: { kind: 'PERSON', legalName: `Applicant ${n}`, identifiers: [{ kind: 'national_id', country: 'US', value: `555-00-000${n}` }], dateOfBirth: '1980-01-01' },
    }, 'staff', null)).applicationId;
    const told = await apply(1);
    const renumbered = await apply(2);
    const odd = await apply(3);
    const s = tenant.schemaName;
    const id = '20261203200000_tenant_reference_numbers';
    for (const sql of [
      ...['loan_updated_idx', 'application_updated_idx', 'application_created_idx', 'loan_borrower_idx', 'loan_external_reference_idx', 'application_external_reference_idx']
        .map((index) => `DROP INDEX ${s}.${index}`),
      `ALTER TABLE ${s}.loan DROP COLUMN number`, `DROP SEQUENCE ${s}.loan_number`, `ALTER TABLE ${s}.application DROP COLUMN number`,
      // An application told APP-0000007 before, and one whose reference is in no numbered form.
      `UPDATE ${s}.application SET reference = 'APP-0000007' WHERE id = '${renumbered}'`,
      `UPDATE ${s}.application SET reference = 'IMPORTED-X' WHERE id = '${odd}'`,
      `DELETE FROM ${s}.schema_migration WHERE id = '${id}'`,
    ]) await runtime.pool.query(sql);
    const report = await migrateAll(runtime.pool, loadMigrations(), { concurrency: 1, only: [tenant.slug] });
    expect(report.failed).toEqual([]);
    expect(report.tenants[0]!.applied).toEqual([id]);
    const numbers = async (table: string) => Object.fromEntries((await runtime.pool.query<{ id: string; number: number }>(`SELECT id, number FROM ${s}.${table}`)).rows.map((r) => [r.id, r.number]));
    expect(await numbers('loan')).toEqual({ [first]: 1, [second]: 2, [third]: 3 });
    expect(await numbers('application')).toEqual({ [told]: 1, [renumbered]: 7, [odd]: 8 });
    // New rows count on from the largest number, and the column refuses a duplicate or a null.
    expect((await db.loan.findUniqueOrThrow({ where: { id: await book(at(4)) } })).number).toBe(4);
    expect((await db.application.findUniqueOrThrow({ where: { id: await apply(4) } })).number).toBe(9);
    await expect(runtime.pool.query(`UPDATE ${s}.loan SET number = 1 WHERE id = '${third}'`)).rejects.toThrow(/loan_number_key/);
    await expect(runtime.pool.query(`UPDATE ${s}.application SET number = NULL WHERE id = '${odd}'`)).rejects.toThrow(/null/);
  });

  it('gives each application made before the business date it was made on, and the one it was returned for missing information on', async () => {
    const id = '20261215010000_tenant_application_business_dates';
    const at = (hour: number) => new Date(Date.UTC(2026, 11, 6, hour));
    const command = (slug: string, now: Date) => ({ tenant: slug, actor: { subject: 'test', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'mig-dates' }, now });
    const apply = async (slug: string, db: ReturnType<Runtime['tenantClients']['forSchema']>, now: Date, name: string) => (await createApplication(db, runtime.dataKey, command(slug, now), '2026-12-01', {
      productCode: 'PL-STD', amount: '5000', numberOfRepayments: 12, purpose: 'a car', applicant: { kind: 'PERSON', legalName: name },
    }, 'staff', null)).applicationId;
    const unapply = async (schema: string) => {
      for (const sql of [`ALTER TABLE ${schema}.application DROP COLUMN created_on, DROP COLUMN information_requested_on`, `DELETE FROM ${schema}.schema_migration WHERE id = '${id}'`]) await runtime.pool.query(sql);
    };
    const datesOf = async (schema: string) => Object.fromEntries((await runtime.pool.query<{ id: string; created_on: string; information_requested_on: string | null }>(
      `SELECT id, to_char(created_on, 'YYYY-MM-DD') AS created_on, to_char(information_requested_on, 'YYYY-MM-DD') AS information_requested_on FROM ${schema}.application`,
    )).rows.map((r) => [r.id, [r.created_on, r.information_requested_on]]));

    // A sandbox lender whose clock two end-of-day runs moved on 2 and 40 days, at 10:00 and 12:00 of one real day.
    const moved = await createTenant(runtime, uniqueSlug('mig-dates'), { sandbox: true, businessDate: '2026-12-01' });
    const db = runtime.tenantClients.forSchema(moved.schemaName);
    const before = await apply(moved.slug, db, at(9), 'Before Any Run');
    const between = await apply(moved.slug, db, at(11), 'Between Runs');
    const after = await apply(moved.slug, db, at(13), 'After Both Runs');
    const s = moved.schemaName;
    await runtime.pool.query(`INSERT INTO ${s}.end_of_day_run (business_date, previous_date, status, started_by, started_at, finished_at) VALUES
      ('2026-12-03', '2026-12-01', 'completed', 'test', $1, $1), ('2027-01-12', '2027-01-11', 'completed', 'test', $2, $2)`, [at(10), at(12)]);
    // Returned for missing information at 12:30, once the second run had moved the date.
    await runtime.pool.query(`UPDATE ${s}.application SET status = 'information_requested' WHERE id = $1`, [after]);
    await runtime.pool.query(`INSERT INTO ${s}.application_transition (id, application_id, from_status, to_status, event, actor, at)
      VALUES (gen_random_uuid(), $1, 'under_checks', 'information_requested', 'request_information', 'test', $2)`, [after, new Date(Date.UTC(2026, 11, 6, 12, 30))]);
    // A lender that never ran end of day: its date never moved from the one the registry holds.
    const still = await createTenant(runtime, uniqueSlug('mig-still'), { sandbox: true, businessDate: '2026-11-20' });
    const unmoved = await apply(still.slug, runtime.tenantClients.forSchema(still.schemaName), at(9), 'Never Moved');
    await unapply(s);
    await unapply(still.schemaName);

    const report = await migrateAll(runtime.pool, loadMigrations(), { concurrency: 1, only: [moved.slug, still.slug] });
    expect(report.failed).toEqual([]);
    expect(report.tenants.map((t) => t.applied)).toEqual([[id], [id]]);
    expect(await datesOf(s)).toEqual({
      [before]: ['2026-12-01', null], [between]: ['2026-12-03', null], [after]: ['2027-01-12', '2027-01-12'],
    });
    expect(await datesOf(still.schemaName)).toEqual({ [unmoved]: ['2026-11-20', null] });
    await expect(runtime.pool.query(`UPDATE ${s}.application SET created_on = NULL WHERE id = '${before}'`)).rejects.toThrow(/null/);
  });

  it('refuses a migration edited after it was applied, naming it', async () => {
    const tenant = await createTenant(runtime, uniqueSlug('mig-edit'));
    const dir = migrationsWith({});
    const first = loadMigrations(dir).find((m) => m.scope === 'tenant')!;
    writeFileSync(path.join(dir, first.id, 'migration.sql'), `${first.sql}\n-- edited afterwards\n`);
    const report = await migrateAll(runtime.pool, loadMigrations(dir), { concurrency: 1, only: [tenant.slug] });
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]!.error).toMatchObject({ migrationId: first.id });
    expect(report.failed[0]!.error!.message).toMatch(/edited/);
  });

  it('refuses a migration file without a scope line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lendgraph-migrations-'));
    mkdirSync(path.join(dir, '20260101000000_nameless'));
    writeFileSync(path.join(dir, '20260101000000_nameless', 'migration.sql'), 'CREATE TABLE x (id int);\n');
    expect(() => loadMigrations(dir)).toThrow(/lendgraph:scope/);
  });
});
