// A tenant moved from one PostgreSQL server to another with `npm run backup -- move`: the command freezes its
// writes, exports it, imports it on the second server, compares every table on both sides and switches it. The
// tenant is then suspended on the first server (a write there is refused) and active on the second, with the same
// rows in every table. Repayments keep arriving at the first server throughout: every one acknowledged is on the
// second, the others were refused. A gateway on the second server reads a loan exactly as the first did before
// the move, finds the books balanced and the audit chain intact, and takes the tenant's next repayment.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/tenancy/embeddedPostgres.js';
import { createPool } from '../../src/tenancy/database.js';
import { loadMigrations, migrateAll } from '../../src/tenancy/migrations.js';
import { createLogger } from '../../src/log.js';
import { Decimal } from '../../src/domain/money.js';
import { disburseLoan, postLoanTransaction } from '../../src/services/servicing/loans.js';
import { createApplication } from '../../src/services/origination/applications.js';
import { registerDebitMandate, setDebitSettings } from '../../src/services/autoDebit/mandates.js';
import { schemaDigests } from '../../src/operations/tenantTables.js';
import { createTenant, devToken, gql, startTestServer, testEnv, uniqueSlug, USER_ERRORS, type TestServer } from '../support/harness.js';
import { freePort } from '../support/ports.js';
import { runScript } from '../support/process.js';

const log = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');
const DATE = '2026-03-02';
const LOAN = `query($id: ID!) { node(id: $id) { ... on Loan { id number status daysPastDue debitMandate { accountNumberMasked }
  account { status outstanding { principal interest fee penalty } instalments { number dueDate paid { principal interest } } }
  transactions { id kind amount valueDate } } } }`;
const CHECKS = '{ ledgerInvariants { holds unbalancedJournals loansOffLedger controlAccountsOff negativeBalances loans journals } auditChainVerification { intact records } }';
const REPAY = `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`;

let root: string;
let second: EmbeddedServer;
let first: TestServer;
let onSecond: TestServer | undefined;
const slug = uniqueSlug('move');
let schema: string;
const loanIds: string[] = [];

async function ask(server: TestServer, query: string, variables: Record<string, unknown> = {}) {
  return gql(server.gateway, query, { token: await devToken(server.runtime, 'tenant-admin', slug), variables });
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'lendgraph-move-'));
  chmodSync(root, 0o755);
  second = await startEmbeddedPostgres({ dataDir: path.join(root, 'second'), port: await freePort(), log, ephemeral: true });
  const pool = createPool(second.url, 2);
  const report = await migrateAll(pool, loadMigrations(), { concurrency: 1 });
  await pool.end();
  expect(report.failed).toEqual([]);

  first = await startTestServer();
  schema = (await createTenant(first.runtime, slug, { sandbox: true, businessDate: DATE })).schemaName;
  const db = first.runtime.tenantClients.forSchema(schema);
  const command = () => ({ tenant: slug, now: new Date(), actor: { subject: 'officer', roles: ['tenant-admin'], partner: null, clientId: null, requestId: randomUUID() } });
  await createApplication(db, first.runtime.dataKey, command(), DATE, {
    productCode: 'PL-STD', amount: '5000', numberOfRepayments: 12, purpose: 'moving',
    applicant: { kind: 'PERSON', legalName: 'Mo Mover', dateOfBirth: '1970-07-07', identifiers: [{ kind: 'national_id', country: 'US', value: '222-33-4444' }] },
  }, 'staff', null);
  for (const principal of ['6000', '3300']) {
    const { loanId } = await disburseLoan(db, command(), DATE, { productCode: 'PL-STD', principal: new Decimal(principal), numberOfRepayments: 12, disbursementDate: '2026-01-02' });
    loanIds.push(loanId);
    await postLoanTransaction(db, command(), DATE, { loanId, kind: 'repayment', valueDate: '2026-02-02', amount: new Decimal('512.40'), channel: 'test' });
  }
  await setDebitSettings(db, command(), { companyName: 'Moving Lender', companyId: '1234567890', odfiRouting: '121000358', odfiName: 'Moving Bank', returnFee: new Decimal('25'), productReturnFees: [] });
  await registerDebitMandate(db, first.runtime.dataKey, command(), { loanId: loanIds[0]!, holderName: 'Mo Mover', routingNumber: '021000021', accountNumber: '000111222333', accountType: 'checking' });
  await first.runtime.registry.setDashboardOrigins(slug, ['https://dashboard.mover.example.test']);
}, 180_000);

afterAll(async () => {
  await onSecond?.close();
  await first?.close();
  await second?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('a tenant moved between two PostgreSQL servers', () => {
  it('moves without loss: the same rows on both, suspended on the first, serving from the second', async () => {
    // The second loan is not written to during the move: it must read the same from the second server.
    const before = (await ask(first, LOAN, { id: encodeGlobalID('Loan', loanIds[1]!) })).data;
    expect(before!['node'].transactions.length).toBe(1);

    // Repayments keep arriving at the first server while the tenant moves: each is either acknowledged (and must be
    // on the second server) or refused because the tenant is suspended.
    const acknowledged: string[] = [];
    const refusals: string[] = [];
    let moving = true;
    const repay = async () => {
      const response = await ask(first, REPAY, { input: { loanId: encodeGlobalID('Loan', loanIds[0]!), amount: '1.00', valueDate: DATE, channel: 'test', idempotencyKey: randomUUID() } });
      if (response.data?.['postRepayment']?.loanTransaction) acknowledged.push(response.data['postRepayment'].loanTransaction.id as string);
      else refusals.push(...(response.errors ?? []).map((e) => e.extensions['code'] as string), ...(response.data?.['postRepayment']?.userErrors ?? []).map((e: { code: string }) => e.code));
    };
    await repay();
    const writer = (async () => { while (moving) await repay(); })();
    const env = await testEnv();
    const moved = await runScript('src/cli/backup.ts', ['move', slug, '--to', second.url, '--via', path.join(root, 'via')], env)
      .finally(() => { moving = false; });
    await writer;
    await repay();
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(refusals.length).toBeGreaterThan(0);
    expect(new Set(refusals)).toEqual(new Set(['TENANT_SUSPENDED']));
    expect(moved.stderr).toBe('');
    expect(moved.code).toBe(0);
    expect(moved.stdout).toMatch(new RegExp(`moved ${slug}: \\d+ tables, \\d+ rows, the same on both sides; active on the target, suspended here`));

    first.runtime.registry.forget(slug);
    expect(await first.runtime.registry.findBySlug(slug)).toMatchObject({ status: 'suspended', statusReason: expect.stringMatching(/^moved to another database at /) });
    const target = createPool(second.url, 2);
    try {
      const { rows: [there] } = await target.query<{ status: string; dashboard_origins: string[] }>('SELECT status, dashboard_origins FROM platform.tenant WHERE slug = $1', [slug]);
      expect(there!.status).toBe('active');
      // Its dashboards keep working from the same sites.
      expect(there!.dashboard_origins).toEqual(['https://dashboard.mover.example.test']);
      expect(await schemaDigests(target, schema)).toEqual(await schemaDigests(first.runtime.pool, schema));
      const { rows: carried } = await target.query<{ id: string }>(`SELECT id::text FROM ${schema}.loan_transaction`);
      expect(carried.map((row) => encodeGlobalID('LoanTransaction', row.id))).toEqual(expect.arrayContaining(acknowledged));
    } finally {
      await target.end();
    }

    const refused = await ask(first, REPAY, { input: { loanId: encodeGlobalID('Loan', loanIds[1]!), amount: '100', valueDate: DATE, channel: 'test', idempotencyKey: randomUUID() } });
    expect(refused.errors?.map((e) => e.extensions['code'])).toEqual(['TENANT_SUSPENDED']);

    onSecond = await startTestServer({ DATABASE_URL: second.url });
    expect((await ask(onSecond, LOAN, { id: encodeGlobalID('Loan', loanIds[1]!) })).data).toEqual(before);
    const written = (await ask(onSecond, LOAN, { id: encodeGlobalID('Loan', loanIds[0]!) })).data!;
    expect(written['node'].transactions.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining(acknowledged));
    expect((await ask(onSecond, CHECKS)).data).toMatchObject({ ledgerInvariants: { holds: true }, auditChainVerification: { intact: true } });
    const repaid = await ask(onSecond, REPAY, { input: { loanId: encodeGlobalID('Loan', loanIds[1]!), amount: '100', valueDate: DATE, channel: 'test', idempotencyKey: randomUUID() } });
    expect(repaid.errors).toBeUndefined();
    expect(repaid.data!['postRepayment'].userErrors).toEqual([]);
    expect((await ask(onSecond, CHECKS)).data!['ledgerInvariants'].holds).toBe(true);
  }, 300_000);
});
