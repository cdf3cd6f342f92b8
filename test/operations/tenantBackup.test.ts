// One tenant backed up and restored beside itself: a tenant with loans, payments, a borrower's sealed identifier,
// a debit mandate's sealed account number, events and audit records is exported, the backup is imported under a
// new slug into a new schema, and the copy holds the same rows in every table (row counts and digests), keeps its
// books balanced and its audit chain intact, answers a GraphQL read of a loan as the original does, and finds its
// borrower by identifier. A backup taken at an older schema version loads at that version and is migrated on; a
// damaged backup loads nothing.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../src/domain/money.js';
import { disburseLoan, postLoanTransaction } from '../../src/services/servicing/loans.js';
import { createApplication } from '../../src/services/origination/applications.js';
import { registerDebitMandate, setDebitSettings } from '../../src/services/autoDebit/mandates.js';
import { exportTenant } from '../../src/operations/tenantExport.js';
import { importTenant } from '../../src/operations/tenantImport.js';
import { rekeyIdentifierLookups } from '../../src/operations/restoredIdentifiers.js';
import { schemaDigests } from '../../src/operations/tenantTables.js';
import { BackupDamaged, MANIFEST, type BackupManifest } from '../../src/operations/tenantBackupFormat.js';
import { openSecret } from '../../src/tenancy/sealing.js';
import { applyPending } from '../../src/tenancy/migrations.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, type TestServer } from '../support/harness.js';

const BUSINESS_DATE = '2026-03-02';
const LOAN = `query($id: ID!) { node(id: $id) { ... on Loan { id number status currency disbursementDate daysPastDue
  debitMandate { accountNumberMasked }
  account { status asOf outstanding { principal interest fee penalty } instalments { number dueDate paid { principal interest } outstanding { principal interest } } }
  transactions { id kind amount valueDate } } } }`;
const CHECKS = '{ ledgerInvariants { holds unbalancedJournals loansOffLedger controlAccountsOff negativeBalances loans journals } auditChainVerification { intact records } }';

let server: TestServer;
let folder: string;
const slug = uniqueSlug('bk-src');
const copySlug = uniqueSlug('bk-copy');
let schema: string;
let loanIds: string[] = [];
const nationalId = '123-45-6789';
const accountNumber = '000123456789';

async function read(tenant: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await gql(server.gateway, query, { token: await devToken(server.runtime, 'tenant-admin', tenant), variables });
  expect(response.errors).toBeUndefined();
  return response.data!;
}

async function settled(schemaName: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { rows: [row] } = await server.runtime.pool.query<{ n: string }>(
      `SELECT ((SELECT count(*) FROM ${schemaName}.outbox_event WHERE seq IS NULL) + (SELECT count(*) FROM ${schemaName}.audit_record WHERE seq IS NULL))::text AS n`);
    if (row!.n === '0') return;
    if (Date.now() > deadline) throw new Error(`${schemaName} still has ${row!.n} unsettled events and audit records`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  server = await startTestServer();
  folder = mkdtempSync(path.join(tmpdir(), 'lendgraph-backup-'));
  const tenant = await createTenant(server.runtime, slug, { sandbox: true, businessDate: BUSINESS_DATE });
  schema = tenant.schemaName;
  const db = server.runtime.tenantClients.forSchema(schema);
  const command = () => ({ tenant: slug, now: new Date(), actor: { subject: 'officer', roles: ['tenant-admin'], partner: null, clientId: null, requestId: randomUUID() } });
  await createApplication(db, server.runtime.dataKey, command(), BUSINESS_DATE, {
    productCode: 'PL-STD', amount: '5000', numberOfRepayments: 12, purpose: 'a car',
    applicant: { kind: 'PERSON', legalName: 'Ada Borrower', dateOfBirth: '1980-01-01', identifiers: [{ kind: 'national_id', country: 'US', value: nationalId }] },
  }, 'staff', null);
  for (const [i, principal] of ['6000', '2500', '9100'].entries()) {
    const { loanId } = await disburseLoan(db, command(), BUSINESS_DATE, { productCode: 'PL-STD', principal: new Decimal(principal), numberOfRepayments: 12, disbursementDate: '2026-01-02' });
    loanIds.push(loanId);
    if (i !== 1) await postLoanTransaction(db, command(), BUSINESS_DATE, { loanId, kind: 'repayment', valueDate: '2026-02-02', amount: new Decimal('420.15'), channel: 'test' });
  }
  await setDebitSettings(db, command(), { companyName: 'Backup Lender', companyId: '1234567890', odfiRouting: '121000358', odfiName: 'Backup Bank', returnFee: new Decimal('25'), productReturnFees: [] });
  await registerDebitMandate(db, server.runtime.dataKey, command(), { loanId: loanIds[0]!, holderName: 'Ada Borrower', routingNumber: '021000021', accountNumber, accountType: 'checking' });
  await settled(schema);
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('one tenant backed up and restored into a new schema', () => {
  let manifest: BackupManifest;

  it('exports every table of the tenant in one snapshot, with its schema version and a checksum per file', async () => {
    manifest = await exportTenant(server.runtime.pool, slug, path.join(folder, 'backup'), new Date());
    expect(manifest.schemaVersion).toBe(server.runtime.migrations.filter((m) => m.scope === 'tenant').at(-1)!.id);
    expect(manifest.tenant).toMatchObject({ slug, businessDate: BUSINESS_DATE, currency: 'USD', sandbox: true });
    const counts = Object.fromEntries(manifest.tables.map((t) => [t.name, t.rows]));
    expect(counts).toMatchObject({ loan: 3, party_identifier: 1, debit_mandate: 1 });
    expect(counts['loan_transaction']).toBe(2);
    expect(counts['journal_line']).toBeGreaterThan(0);
    expect(counts['outbox_event']).toBeGreaterThan(0);
    expect(counts['audit_record']).toBeGreaterThan(0);
    expect(manifest.tables.map((t) => t.name)).not.toContain('schema_migration');
    // Borrowers' details are in the files: only their owner may read them.
    const backup = path.join(folder, 'backup');
    for (const file of [path.join(backup, 'tables'), path.join(backup, manifest.tables[0]!.file), ...readdirSync(backup).map((name) => path.join(backup, name))]) {
      expect(statSync(file).mode & 0o077, file).toBe(0);
    }
    // The sealed values travel sealed: the account number is nowhere in the files as written.
    const mandates = gunzipSync(readFileSync(path.join(folder, 'backup', 'tables', 'debit_mandate.copy.gz'))).toString('utf8');
    expect(mandates).not.toContain(accountNumber);
    expect(manifest.sequences.find((s) => s.name === 'loan_number')).toMatchObject({ lastValue: '3', isCalled: true });
  });

  it('imports it beside the live tenant under a new slug: every table holds the same rows, sequences count on', async () => {
    const result = await importTenant(server.runtime.pool, server.runtime.migrations, path.join(folder, 'backup'), {
      as: copySlug,
      beforeCommit: (client, copySchema, copy) => rekeyIdentifierLookups(client, server.runtime.dataKey, copySchema, copy).then(() => undefined),
    }, new Date());
    expect(result).toMatchObject({ slug: copySlug, schema: `tenant_${copySlug.replaceAll('-', '_')}`, loadedAt: manifest.schemaVersion });
    const live = await schemaDigests(server.runtime.pool, schema);
    const copy = await schemaDigests(server.runtime.pool, result.schema);
    // Every table's rows are the same, except the identifier lookups re-keyed to the copy's slug.
    const { party_identifier: liveIds, ...liveRest } = live;
    const { party_identifier: copyIds, ...copyRest } = copy;
    expect(copyRest).toEqual(liveRest);
    expect(copyIds!.rows).toBe(liveIds!.rows);
    expect(Object.keys(copy).length).toBe(manifest.tables.length);
    const copyTenant = await server.runtime.registry.findBySlug(copySlug);
    expect(copyTenant).toMatchObject({ status: 'suspended', businessDate: BUSINESS_DATE, currency: 'USD', schemaVersion: manifest.schemaVersion });
    const { rows: [next] } = await server.runtime.pool.query<{ n: string }>(`SELECT nextval('${result.schema}.loan_number')::text AS n`);
    expect(next!.n).toBe('4');
  });

  it('the copy, once reactivated, answers a loan, its ledger invariants and its audit chain as the original does', async () => {
    await server.runtime.registry.setStatus(copySlug, 'active', 'checked after restore', ['suspended']);
    for (const loanId of loanIds) {
      const id = encodeGlobalID('Loan', loanId);
      const original = await read(slug, LOAN, { id });
      expect(original['node']).toMatchObject({ id, currency: 'USD' });
      expect(await read(copySlug, LOAN, { id })).toEqual(original);
    }
    const originalChecks = await read(slug, CHECKS);
    expect(originalChecks['ledgerInvariants'].holds).toBe(true);
    expect(originalChecks['auditChainVerification'].intact).toBe(true);
    expect(await read(copySlug, CHECKS)).toEqual(originalChecks);
  });

  it('the copy opens the sealed values and finds its borrower by identifier', async () => {
    const copySchema = `tenant_${copySlug.replaceAll('-', '_')}`;
    const { rows: [mandate] } = await server.runtime.pool.query<{ sealed: string }>(`SELECT account_number_sealed AS sealed FROM ${copySchema}.debit_mandate`);
    expect(openSecret(server.runtime.dataKey, mandate!.sealed)).toBe(accountNumber);
    const db = server.runtime.tenantClients.forSchema(copySchema);
    const before = await db.party.count();
    await createApplication(db, server.runtime.dataKey, { tenant: copySlug, now: new Date(), actor: { subject: 'officer', roles: ['tenant-admin'], partner: null, clientId: null, requestId: randomUUID() } }, BUSINESS_DATE, {
      productCode: 'PL-STD', amount: '3000', numberOfRepayments: 12, purpose: 'a second car',
      applicant: { kind: 'PERSON', legalName: 'Ada Borrower', dateOfBirth: '1980-01-01', identifiers: [{ kind: 'national_id', country: 'US', value: nationalId }] },
    }, 'staff', null);
    expect(await db.party.count()).toBe(before);
  });

  it('a backup taken at an older schema version loads at that version and is migrated on to the latest', async () => {
    const tenantMigrations = server.runtime.migrations.filter((m) => m.scope === 'tenant');
    const older = tenantMigrations.at(-4)!.id;
    const oldSlug = uniqueSlug('bk-old');
    const oldSchema = `tenant_${oldSlug.replaceAll('-', '_')}`;
    // A tenant left behind at an older version, made the way provisioning makes one.
    const client = await server.runtime.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`CREATE SCHEMA ${oldSchema}`);
      await applyPending(client, oldSchema, 'tenant', server.runtime.migrations.filter((m) => m.id <= older));
      await client.query(`INSERT INTO ${oldSchema}.loan_product (id, code, name, currency, min_amount, max_amount, min_tenor_months, max_tenor_months, annual_rate, current_version)
        VALUES (gen_random_uuid(), 'OLD', 'Old', 'USD', 100, 1000, 1, 12, 0.1, 1)`);
      await client.query(`INSERT INTO platform.tenant (id, slug, display_name, status, currency, time_zone, business_date, schema_name, schema_version)
        VALUES (gen_random_uuid(), $1, 'Old Lender', 'active', 'USD', 'UTC', '2026-03-02', $2, $3)`, [oldSlug, oldSchema, older]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const backup = await exportTenant(server.runtime.pool, oldSlug, path.join(folder, 'older'), new Date());
    expect(backup.schemaVersion).toBe(older);
    const restored = await importTenant(server.runtime.pool, server.runtime.migrations, path.join(folder, 'older'), { as: uniqueSlug('bk-newer') }, new Date());
    expect(restored.loadedAt).toBe(older);
    expect(restored.schemaVersion).toBe(tenantMigrations.at(-1)!.id);
    const { rows } = await server.runtime.pool.query<{ id: string }>(`SELECT id FROM ${restored.schema}.schema_migration ORDER BY id`);
    expect(rows.map((r) => r.id)).toEqual(tenantMigrations.map((m) => m.id));
    const { rows: products } = await server.runtime.pool.query<{ code: string }>(`SELECT code FROM ${restored.schema}.loan_product`);
    expect(products.map((p) => p.code)).toEqual(['OLD']);
  });

  it('refuses a damaged backup, and a slug that exists, before anything is made', async () => {
    const damaged = path.join(folder, 'damaged');
    rmSync(damaged, { recursive: true, force: true });
    await import('node:fs').then((fs) => fs.cpSync(path.join(folder, 'backup'), damaged, { recursive: true }));
    const file = path.join(damaged, 'tables', 'loan.copy.gz');
    writeFileSync(file, gzipSync(gunzipSync(readFileSync(file)).toString('utf8').replace('9100', '9101')));
    await expect(importTenant(server.runtime.pool, server.runtime.migrations, damaged, { as: uniqueSlug('bk-bad') }, new Date())).rejects.toThrow(BackupDamaged);
    await expect(importTenant(server.runtime.pool, server.runtime.migrations, path.join(folder, 'backup'), {}, new Date()))
      .rejects.toThrow(/already exists here/);
    const manifestText = readFileSync(path.join(damaged, MANIFEST), 'utf8');
    writeFileSync(path.join(damaged, MANIFEST), manifestText.replace(`"slug": "${slug}"`, '"slug": "someone-else"'));
    await expect(importTenant(server.runtime.pool, server.runtime.migrations, damaged, {}, new Date())).rejects.toThrow(/does not match/);
  });
});
