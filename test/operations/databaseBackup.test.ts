// The whole database backed up while it serves, with PostgreSQL's own base backup API, and restored into a new
// data folder on which a second embedded PostgreSQL starts: the tenant nobody wrote to during the backup has
// exactly its rows, the tenant written to throughout has every loan acknowledged before the backup began and
// none that was never acknowledged, and its books balance.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/tenancy/embeddedPostgres.js';
import { createPool } from '../../src/tenancy/database.js';
import { loadMigrations, migrateAll } from '../../src/tenancy/migrations.js';
import { createLogger } from '../../src/log.js';
import type { Runtime } from '../../src/runtime.js';
import { Decimal } from '../../src/domain/money.js';
import { disburseLoan, postLoanTransaction } from '../../src/services/servicing/loans.js';
import { ledgerInvariants } from '../../src/services/servicing/ledger.js';
import { BASE_BACKUP_MANIFEST, restoreBaseBackup, takeBaseBackup } from '../../src/operations/baseBackup.js';
import { schemaDigests } from '../../src/operations/tenantTables.js';
import { createTenant, openTestRuntime, uniqueSlug } from '../support/harness.js';
import { freePort } from '../support/ports.js';

const log = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');
const DATE = '2026-03-02';
let root: string;
let source: EmbeddedServer;
let restored: EmbeddedServer | undefined;
let runtime: Runtime;
let restoredRuntime: Runtime | undefined;

function folder(name: string): string {
  return path.join(root, name);
}

const command = (slug: string) => ({ tenant: slug, now: new Date(), actor: { subject: 'officer', roles: ['tenant-admin'], partner: null, clientId: null, requestId: randomUUID() } });

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'lendgraph-basebackup-'));
  // As root, PostgreSQL runs as the postgres user, which must be able to enter this folder.
  chmodSync(root, 0o755);
  source = await startEmbeddedPostgres({ dataDir: folder('source'), port: await freePort(), log, ephemeral: true });
  const pool = createPool(source.url, 2);
  const report = await migrateAll(pool, loadMigrations(), { concurrency: 1 });
  await pool.end();
  expect(report.failed).toEqual([]);
  runtime = await openTestRuntime({ DATABASE_URL: source.url, DATA_DIR: folder('app') });
}, 180_000);

afterAll(async () => {
  await restoredRuntime?.close();
  await runtime?.close();
  await restored?.stop();
  await source?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('the whole database backed up while it serves and restored into a new data folder', () => {
  it('a server started on the restored folder holds every tenant as of the backup', async () => {
    const quiet = await createTenant(runtime, uniqueSlug('bb-quiet'), { sandbox: true, businessDate: DATE });
    const quietDb = runtime.tenantClients.forSchema(quiet.schemaName);
    for (const principal of ['4000', '7000']) {
      const { loanId } = await disburseLoan(quietDb, command(quiet.slug), DATE, { productCode: 'PL-STD', principal: new Decimal(principal), numberOfRepayments: 12, disbursementDate: '2026-01-02' });
      await postLoanTransaction(quietDb, command(quiet.slug), DATE, { loanId, kind: 'repayment', valueDate: '2026-02-02', amount: new Decimal('350'), channel: 'test' });
    }
    const busy = await createTenant(runtime, uniqueSlug('bb-busy'), { sandbox: true, businessDate: DATE });
    const busyDb = runtime.tenantClients.forSchema(busy.schemaName);
    const acknowledged: string[] = [];
    const book = async () => acknowledged.push((await disburseLoan(busyDb, command(busy.slug), DATE, {
      productCode: 'PL-STD', principal: new Decimal('5000'), numberOfRepayments: 12, disbursementDate: DATE,
    })).loanId);
    for (let i = 0; i < 3; i += 1) await book();
    const quietBefore = await schemaDigests(runtime.pool, quiet.schemaName);

    // Loans are booked one after another for as long as the backup runs.
    let writing = true;
    const writer = (async () => { while (writing) await book(); })();
    const before = acknowledged.length;
    const backup = folder('backup');
    const taken = await takeBaseBackup(runtime.pool, backup, log).finally(() => { writing = false; });
    await writer;
    expect(taken.files).toBeGreaterThan(100);
    expect(acknowledged.length).toBeGreaterThan(before);

    // Restored as an operator does, into DATA_DIR/postgres of a DATA_DIR that does not exist yet: the folder made
    // above the data folder is open for the postgres user to enter (the data folder itself is its own), or the
    // embedded server would start on an empty folder elsewhere.
    await restoreBaseBackup(backup, path.join(folder('restored'), 'postgres'));
    expect(statSync(folder('restored')).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(folder('restored'), 'postgres')).mode & 0o777).toBe(0o700);
    restored = await startEmbeddedPostgres({ dataDir: folder('restored'), port: await freePort(), log, ephemeral: true });
    restoredRuntime = await openTestRuntime({ DATABASE_URL: restored.url, DATA_DIR: folder('app') });

    const tenants = (await restoredRuntime.pool.query<{ slug: string }>('SELECT slug FROM platform.tenant ORDER BY slug')).rows.map((r) => r.slug);
    expect(tenants).toEqual([busy.slug, quiet.slug].sort());
    expect(await schemaDigests(restoredRuntime.pool, quiet.schemaName)).toEqual(quietBefore);

    const restoredLoans = (await restoredRuntime.pool.query<{ id: string }>(`SELECT id::text FROM ${busy.schemaName}.loan`)).rows.map((r) => r.id);
    // Everything acknowledged before the backup began is there; nothing is there that was never acknowledged.
    expect(restoredLoans).toEqual(expect.arrayContaining(acknowledged.slice(0, before)));
    expect(acknowledged).toEqual(expect.arrayContaining(restoredLoans));
    for (const tenant of [quiet, busy]) {
      const invariants = await ledgerInvariants(restoredRuntime.tenantClients.forSchema(tenant.schemaName), tenant.schemaName);
      expect(invariants).toMatchObject({ unbalancedJournals: 0, loansOffLedger: 0, controlAccountsOff: 0, negativeBalances: 0 });
    }
  }, 300_000);

  it('refuses, naming what is wrong, a folder that holds no backup and a data folder that is not empty', async () => {
    const empty = path.join(root, 'no-backup');
    mkdirSync(empty, { recursive: true });
    await expect(restoreBaseBackup(empty, path.join(root, 'unused'))).rejects.toMatchObject({ name: 'InvalidField', field: 'backup' });
    const occupied = path.join(root, 'occupied');
    mkdirSync(path.join(occupied, 'something'), { recursive: true });
    const backups = readdirSync(root).map((name) => path.join(root, name)).filter((candidate) => existsSync(path.join(candidate, BASE_BACKUP_MANIFEST)));
    expect(backups.length).toBeGreaterThan(0);
    await expect(restoreBaseBackup(backups[0]!, occupied)).rejects.toMatchObject({ name: 'InvalidField', field: 'into' });
  });
});
