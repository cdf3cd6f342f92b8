// Loans read with plain SQL (src/graph/loanRows.ts) are the rows Prisma reads, field for field, through the same
// partner rule; and a loan's schedule answered again from what an earlier request replayed is the schedule a
// replay gives, before and after a posting.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { registerPartner } from '../../src/services/partners.js';
import { scopeToPartner } from '../../src/authz/partnerScope.js';
import { loanAmount, loanDate, loanRowsById, loanTermsById, plainLoanRow } from '../../src/graph/loanRows.js';
import { moneyAnswer } from '../../src/graph/scalars.js';
import { businessDateOf } from '../../src/tenancy/dateColumns.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, type TestServer } from '../support/harness.js';
import { databaseIdOf, globalIdOf } from '../../src/domain/globalId.js';
import { Decimal, formatMoney, money, type Money } from '../../src/domain/money.js';

/**
 * A row with each decimal as its digits: the plain-SQL row holds the domain's decimals (which `money()` takes as they
 * are) where Prisma's holds its own, the same values in two copies of decimal.js that toEqual tells apart.
 */
const byValue = (row: object) => Object.fromEntries(Object.entries(row).map(([field, value]) => [field, Decimal.isDecimal(value) ? { decimal: String(value) } : value]));

let server: TestServer;
let tenant: TenantRecord;
let admin: string;
let fintech: string;
let keys = 0;
const key = () => `loanrows-${Date.now()}-${keys++}`;

async function call(query: string, variables: Record<string, unknown> = {}, token = admin) {
  const response = await gql(server.gateway, query, { token, variables });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data!;
}

async function disburse(input: Record<string, unknown>): Promise<string> {
  const data = await call(`mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } userErrors { code message } } }`, {
    input: { idempotencyKey: key(), productCode: 'PL-STD', principal: '6000', numberOfRepayments: 12, disbursementDate: '2026-09-01', ...input },
  });
  return databaseIdOf(data['disburseLoan'].loan.id as string, 'Loan')!;
}

const SCHEDULE = `query($id: ID!) { node(id: $id) { ... on Loan { id status principal receivable { principal interest fee penalty } held
  account { asOf status daysPastDue instalments { number dueDate charged { principal interest fee penalty } paid { principal interest fee penalty }
  outstanding { principal interest fee penalty } } allocations { transactionId amount } }
  payoffQuote { total } } } }`;

let plain: string;
let tranched: string;
let partners: string;
let repaid: string;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('loanrows'), { sandbox: true, businessDate: '2026-12-01' });
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  await registerPartner(db, server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code: 'fintech', name: 'fintech', kind: 'origination' });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
  fintech = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
  plain = await disburse({});
  tranched = await disburse({ principal: '9000', tranches: [{ expectedDate: '2026-09-01', amount: '5000' }, { expectedDate: '2026-10-15', amount: '4000' }] });
  partners = await disburse({ originationPartnerCode: 'fintech', externalReference: 'FT-9' });
  // Repaid, so its position and balances are not the booking's.
  repaid = await disburse({ disbursementDate: '2026-08-01' });
  await call(`mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } userErrors { code message } } }`, {
    input: { idempotencyKey: key(), loanId: globalLoanId(repaid), amount: '700', valueDate: '2026-09-05', channel: 'bank-transfer' },
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
});

const globalLoanId = (id: string) => globalIdOf('Loan', id);

describe('a loan read with plain SQL', () => {
  it('is the row Prisma reads, every field equal', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const ids = [plain, tranched, partners, repaid];
    const rows = await loanRowsById(server.runtime.pool, tenant.schemaName, ids, null);
    expect(rows).toHaveLength(4);
    for (const id of ids) {
      const { upcomingDueDates, upcomingInterest, upcomingFee, upcomingPenalty, upcomingOwing, terms, allocation, accounts, tranchePlan, ...viaPrisma } = await db.loan.findUniqueOrThrow({ where: { id } });
      const viaSql = rows.find((row) => row.id === id)!;
      // The position's arrays are not read: no field of the API reads them (LoanRow leaves them out).
      expect([upcomingDueDates, upcomingInterest, upcomingFee, upcomingPenalty, upcomingOwing].every(Array.isArray)).toBe(true);
      expect(Object.keys(plainLoanRow(viaSql)).filter((field) => field.startsWith('upcoming'))).toEqual([]);
      // The terms are read apart, when the loan is replayed: as Prisma reads them.
      expect(Object.keys(plainLoanRow(viaSql))).not.toContain('terms');
      expect(await loanTermsById(server.runtime.pool, tenant.schemaName, [id], null)).toEqual([{ id, terms, allocation, accounts, tranchePlan }]);
      expect(Object.keys(plainLoanRow(viaSql)).sort()).toEqual(Object.keys(viaPrisma).sort());
      expect(byValue(plainLoanRow(viaSql))).toEqual(byValue(viaPrisma));
      expect(JSON.parse(JSON.stringify(viaSql))).toEqual(JSON.parse(JSON.stringify(viaPrisma)));
      // Decimals as text too (the text is what the API prints), and of the domain's own decimal.js.
      expect(viaSql.principal.toString()).toBe(viaPrisma.principal.toString());
      expect(viaSql.approvedPrincipal.toString()).toBe(viaPrisma.approvedPrincipal.toString());
      expect(viaSql.principalReceivable.constructor).toBe(Decimal);
      // Decoded once and kept: the same object on every read.
      expect(viaSql.principal).toBe(viaSql.principal);
      expect(viaSql.disbursementDate).toBe(viaSql.disbursementDate);
    }
    const repaidRow = rows.find((row) => row.id === repaid)!;
    expect(repaidRow.transactionCount).toBe(1);
    const terms = await loanTermsById(server.runtime.pool, tenant.schemaName, ids, null);
    expect(terms.map((row) => row.id).sort()).toEqual([...ids].sort());
    expect(terms.find((row) => row.id === tranched)!.tranchePlan).not.toBeNull();
    expect(terms.find((row) => row.id === plain)!.tranchePlan).toBeNull();
  });

  it('answers each date as the business date Prisma\'s Date holds, from the column\'s text or from a Date already made', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const ids = [plain, tranched, partners, repaid];
    const dates = ['disbursementDate', 'firstRepaymentDate', 'asOf', 'oldestDueDate', 'nextDueDate', 'lastDueDate', 'replayOn', 'classSince', 'npaSince', 'restructuredOn'] as const;
    let answered = 0;
    for (const id of ids) {
      const viaPrisma = await db.loan.findUniqueOrThrow({ where: { id } });
      const [fresh] = await loanRowsById(server.runtime.pool, tenant.schemaName, [id], null);
      const [read] = await loanRowsById(server.runtime.pool, tenant.schemaName, [id], null);
      for (const field of dates) {
        const expected = viaPrisma[field] ? businessDateOf(viaPrisma[field]) : null;
        if (expected !== null) answered += 1;
        expect(loanDate(fresh!, field), `${field} from its text`).toBe(expected);
        // Answered from the text indeed: the row has not made the Date.
        expect((fresh as unknown as { dateText(f: string): string | null | undefined }).dateText(field), `${field}'s text`).toBe(expected);
        void read![field];
        expect(loanDate(read!, field), `${field} from its Date`).toBe(expected);
        expect(loanDate(viaPrisma as never, field), `${field} of Prisma's row`).toBe(expected);
      }
    }
    expect(answered).toBeGreaterThan(12);
  });

  it('answers each amount as Money writes Prisma\'s decimal, from the column\'s text or from a Decimal already made', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const amounts = ['principal', 'approvedPrincipal', 'principalReceivable', 'interestReceivable', 'feeReceivable', 'penaltyReceivable', 'held',
      'interestInAdvance', 'lastDueOwing', 'tolerance', 'interestSuspense', 'provision'] as const;
    const written = (answer: Money | string) => (typeof answer === 'string' ? answer : formatMoney(answer));
    const seen = new Set<string>();
    for (const id of [plain, tranched, partners, repaid]) {
      const viaPrisma = await db.loan.findUniqueOrThrow({ where: { id } });
      const [fresh] = await loanRowsById(server.runtime.pool, tenant.schemaName, [id], null);
      const [read] = await loanRowsById(server.runtime.pool, tenant.schemaName, [id], null);
      for (const field of amounts) {
        const expected = formatMoney(money(viaPrisma[field], viaPrisma.currency));
        seen.add(expected);
        // From the text as PostgreSQL wrote it (numeric(20, 4)), never made a Decimal.
        const text = loanAmount(fresh!, field);
        expect(typeof text, `${field} as text`).toBe('string');
        expect(moneyAnswer(text, fresh!.currency), `${field} from its text`).toBe(expected);
        void read![field];
        expect(written(moneyAnswer(loanAmount(read!, field), read!.currency)), `${field} from its Decimal`).toBe(expected);
        expect(written(moneyAnswer(loanAmount(viaPrisma as never, field), viaPrisma.currency)), `${field} of Prisma's row`).toBe(expected);
      }
    }
    // Not every amount zero: repaid and tranched loans hold interest, held money and an approved principal above the paid one.
    expect(seen.size).toBeGreaterThan(5);
  });

  it('holds a partner to the loans it brought, as its scoped client does', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const partner = { id: 'fintech', kind: 'origination' as const };
    const ids = [plain, tranched, partners, repaid];
    const rows = await loanRowsById(server.runtime.pool, tenant.schemaName, ids, partner);
    const scoped = (await scopeToPartner(db, partner).loan.findMany({ where: { id: { in: ids } } }))
      .map(({ upcomingDueDates: _d, upcomingInterest: _i, upcomingFee: _f, upcomingPenalty: _p, upcomingOwing: _o, terms: _t, allocation: _a, accounts: _c, tranchePlan: _l, ...row }) => row);
    expect(rows.map((row) => row.id)).toEqual([partners]);
    expect(rows.map((row) => byValue(plainLoanRow(row)))).toEqual(scoped.map(byValue));
    // The terms too: none of the loans it did not bring.
    expect((await loanTermsById(server.runtime.pool, tenant.schemaName, ids, partner)).map((row) => row.id)).toEqual([partners]);
    // Through the API: the partner's own loan, and another's is null as if it did not exist.
    const own = await call('query($id: ID!) { node(id: $id) { ... on Loan { id externalReference } } }', { id: globalLoanId(partners) }, fintech);
    expect(own['node']).toEqual({ id: globalLoanId(partners), externalReference: 'FT-9' });
    const other = await call('query($id: ID!) { node(id: $id) { id } }', { id: globalLoanId(plain) }, fintech);
    expect(other['node']).toBeNull();
  });

  it('reads one id as it reads many, partner rule included', async () => {
    const many = await loanRowsById(server.runtime.pool, tenant.schemaName, [plain, partners], null);
    for (const id of [plain, partners]) {
      expect((await loanRowsById(server.runtime.pool, tenant.schemaName, [id], null)).map(plainLoanRow)).toEqual([plainLoanRow(many.find((row) => row.id === id)!)]);
    }
    const partner = { id: 'fintech', kind: 'origination' as const };
    expect((await loanRowsById(server.runtime.pool, tenant.schemaName, [partners], partner)).map((row) => row.id)).toEqual([partners]);
    expect(await loanRowsById(server.runtime.pool, tenant.schemaName, [plain], partner)).toEqual([]);
  });

  it('is planned once per connection, for one id and for many, not at every read', async () => {
    // PostgreSQL counts, per named statement on a connection, how often it planned for the values given (custom)
    // and how often it ran the plan it keeps (generic). One connection, so every read below lands on it.
    const pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 1 });
    try {
      const reads = 12;
      for (let i = 0; i < reads; i += 1) {
        await loanRowsById(pool, tenant.schemaName, [[plain, tranched, partners, repaid][i % 4]!], null);
        await loanRowsById(pool, tenant.schemaName, [plain, tranched, partners, repaid].slice(0, 2 + (i % 3)), null);
      }
      const client = await pool.connect();
      try {
        const { rows } = await client.query<{ statement: string; generic: number; custom: number }>(
          `SELECT statement, generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements WHERE statement LIKE '%.loan l WHERE%'`,
        );
        expect(rows).toHaveLength(2);
        for (const row of rows) {
          expect(row.generic + row.custom, row.statement.slice(-80)).toBe(reads);
          // The first five executions are always planned for their values; after that, the kept plan.
          expect(row.custom, row.statement.slice(-80)).toBeLessThanOrEqual(5);
        }
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
    }
  });

  it('asked by several readers at the same moment, is one statement per scope, each answered only the loans it asked for', async () => {
    const pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 4 });
    let statements = 0;
    pool.on('acquire', () => { statements += 1; });
    const partner = { id: 'fintech', kind: 'origination' as const };
    try {
      const ids = (rows: { id: string }[]) => rows.map((row) => row.id).sort();
      const [first, second, third, asPartner, partnerOwn, terms] = await Promise.all([
        loanRowsById(pool, tenant.schemaName, [plain], null),
        loanRowsById(pool, tenant.schemaName, [tranched, repaid], null),
        loanRowsById(pool, tenant.schemaName, [partners, plain], null),
        // Loans staff read in this very turn are not the partner's to read.
        loanRowsById(pool, tenant.schemaName, [plain, tranched], partner),
        loanRowsById(pool, tenant.schemaName, [partners, repaid], partner),
        loanTermsById(pool, tenant.schemaName, [repaid], null),
      ]);
      // Staff's loan rows, the partner's loan rows, staff's terms: three statements for six reads.
      expect(statements).toBe(3);
      expect(ids(first)).toEqual([plain]);
      expect(ids(second)).toEqual([tranched, repaid].sort());
      expect(ids(third)).toEqual([partners, plain].sort());
      expect(asPartner).toEqual([]);
      expect(ids(partnerOwn)).toEqual([partners]);
      expect(ids(terms)).toEqual([repaid]);
      // Each row is the one read alone, and a loan two readers asked for is each one's own: what one decodes
      // leaves the other's columns as they came.
      const [alone] = await loanRowsById(pool, tenant.schemaName, [tranched], null);
      expect(plainLoanRow(second.find((row) => row.id === tranched)!)).toEqual(plainLoanRow(alone!));
      const shared = third.find((row) => row.id === plain)!;
      const decoded = plainLoanRow(first[0]!);
      expect(loanDate(shared, 'disbursementDate')).toBe(businessDateOf(decoded.disbursementDate!));
      expect(String(loanAmount(shared, 'principal'))).toBe(decoded.principal.toFixed(4));
      expect(byValue(plainLoanRow(shared))).toEqual(byValue(decoded));
    } finally {
      await pool.end();
    }
  });

  it('reads nothing for ids that are not there, and nothing from another tenant', async () => {
    const other = await createTenant(server.runtime, uniqueSlug('loanrows-b'), { sandbox: true, businessDate: '2026-12-01' });
    expect(await loanRowsById(server.runtime.pool, other.schemaName, [plain], null)).toEqual([]);
    expect(await loanRowsById(server.runtime.pool, tenant.schemaName, ['00000000-0000-4000-8000-000000000000'], null)).toEqual([]);
  });
});

describe('a schedule read again', () => {
  it('is the schedule a replay gives, and a posting is seen at once', async () => {
    const first = await call(SCHEDULE, { id: globalLoanId(repaid) });
    const again = await call(SCHEDULE, { id: globalLoanId(repaid) });
    expect(again).toEqual(first);
    await call(`mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } userErrors { code message } } }`, {
      input: { idempotencyKey: key(), loanId: globalLoanId(repaid), amount: '250', valueDate: '2026-10-05', channel: 'bank-transfer' },
    });
    const after = await call(SCHEDULE, { id: globalLoanId(repaid) });
    expect(after).not.toEqual(first);
    const paid = (state: Record<string, any>) => (state['node'].account.allocations as { amount: string }[]).map((a) => a.amount);
    expect(paid(first)).toEqual(['700.00 USD']);
    expect(paid(after)).toEqual(['700.00 USD', '250.00 USD']);
  });
});

describe('what every answer still says', () => {
  it('is never to be cached, refused or answered', async () => {
    const answered = await gql(server.gateway, '{ __typename }', { token: admin });
    expect(answered.headers.get('cache-control')).toBe('no-store');
    // No digest of a body nobody may cache; and the answer is compact JSON.
    expect(answered.headers.get('etag')).toBeNull();
    const raw = await fetch(server.gateway.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body: JSON.stringify({ query: '{ a: __typename b: __typename }' }) });
    expect(await raw.text()).toMatch(/^\{"data":\{"a":"Query","b":"Query"\},/);
    const refused = await gql(server.gateway, '{ nosuchfield }', { token: admin });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('cache-control')).toBe('no-store');
  });

  it('costs what its own arguments ask, whichever loan it names and however often it is asked', async () => {
    const page = 'query($first: Int!) { loans(first: $first) { edges { node { id } } } }';
    const costOf = async (query: string, variables: Record<string, unknown>) => (await gql(server.gateway, query, { token: admin, variables })).extensions!['cost'];
    const five = await costOf(page, { first: 5 });
    const fifty = await costOf(page, { first: 50 });
    expect(five.requestedNodes).toBeLessThan(fifty.requestedNodes);
    expect(await costOf(page, { first: 5 })).toEqual(five);
    expect(await costOf(page, { first: 50 })).toEqual(fifty);
    // A single ID does not change a size: the same document naming two loans costs the same.
    expect(await costOf(SCHEDULE, { id: globalLoanId(plain) })).toEqual(await costOf(SCHEDULE, { id: globalLoanId(repaid) }));
    // A skipped selection is not counted, whatever was sized before with the other value.
    const skipping = 'query($id: ID!, $skip: Boolean!) { node(id: $id) { ... on Loan { account @skip(if: $skip) { instalments { number } } } } }';
    const skipped = await costOf(skipping, { id: globalLoanId(plain), skip: true });
    const kept = await costOf(skipping, { id: globalLoanId(plain), skip: false });
    expect(skipped.requestedQueryCost).toBeLessThan(kept.requestedQueryCost);
  });
});
