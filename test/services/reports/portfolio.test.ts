// The portfolio report: loans booked through the services, their positions set by SQL to a known mix, and the
// report's figures asserted exactly — portfolio at risk, aging, classification, accruals, per product — through
// GraphQL and as CSV. A past date is read from the summary end of day wrote for it, whatever the positions
// became since; a date after the business date, or one no end of day closed, is refused naming asOf. Finance and
// auditors read it; a loan officer and partners of either kind do not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import type { TenantDb } from '../../../src/tenancy/tenantClients.js';
import { tenantSql, withTenantSql } from '../../../src/tenancy/tenantSql.js';
import { registerPartner } from '../../../src/services/partners.js';
import { disburseLoan } from '../../../src/services/servicing/loans.js';
import { Decimal } from '../../../src/domain/money.js';
import { bookFigures, ratioOf } from '../../../src/domain/servicing/portfolio.js';
import { liveSummary, writeEndOfDaySummary } from '../../../src/services/reports/endOfDaySummary.js';
import { PORTFOLIO_CSV_COLUMNS, PORTFOLIO_CSV_SECTIONS } from '../../../src/documents/portfolioCsv.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, type TestServer } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let db: TenantDb;
let finance: string;
const TODAY = '2026-12-01';
const CLOSED = '2026-11-30';
/** The loans by letter: A (SME-WC) 10,000; B 8,000; C 6,000; D 4,000; E 2,000; F 3,000 written off (PL-STD). */
const loan: Record<string, string> = {};

const REPORT = `query($asOf: Date) { portfolioReport(asOf: $asOf) { asOf businessDate source
  currencies { currency loans principal interest fee penalty overduePrincipal interestInSuspense provision
    portfolioAtRisk { measure overDays loans principal ratio }
    aging { delinquencyBucket loans principal interest fee penalty }
    classification { assetClass loans exposure interestInSuspense provision }
    accruals { from to interestIncome interestMovedToSuspense feeIncome penaltyIncome interestReceivable interestInSuspense }
    products { productCode productName loans principal interest fee penalty portfolioAtRisk { measure principal ratio } interestInSuspense provision } }
  trialBalance { asOf lines { account name debits credits balance } }
  aging: csvPath(section: AGING) trial: csvPath(section: TRIAL_BALANCE) } }`;

const setup = () => ({ tenant: tenant.slug, actor: { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' }, now: server.runtime.now() });

async function book(letter: string, productCode: string, principal: string) {
  const { loanId } = await disburseLoan(db, setup(), TODAY, { productCode, principal: new Decimal(principal), disbursementDate: TODAY, numberOfRepayments: 12 });
  loan[letter] = loanId;
}

/** Sets a loan's position as end of day would leave it. */
async function position(letter: string, set: { status?: string; dpd?: number; bucket?: string | null; assetClass?: string; interest?: string; fee?: string; penalty?: string; suspense?: string; provision?: string }) {
  await tenantSql(db, tenant.schemaName).execute((s) => `
    UPDATE ${s}.loan SET status = coalesce($2, status), days_past_due = coalesce($3, days_past_due), delinquency_bucket = $4,
           asset_class = coalesce($5, asset_class), interest_receivable = coalesce($6::numeric, interest_receivable),
           fee_receivable = coalesce($7::numeric, fee_receivable), penalty_receivable = coalesce($8::numeric, penalty_receivable),
           interest_suspense = coalesce($9::numeric, interest_suspense), provision = coalesce($10::numeric, provision)
     WHERE id = $1::uuid`,
  loan[letter], set.status ?? null, set.dpd ?? null, set.bucket ?? null, set.assetClass ?? null, set.interest ?? null, set.fee ?? null,
  set.penalty ?? null, set.suspense ?? null, set.provision ?? null);
}

/** A balanced journal on loan E, as the posting engine or end of day would write it. */
async function journal(kind: string, valueDate: string, lines: [account: string, debit: string, credit: string][]) {
  const sql = tenantSql(db, tenant.schemaName);
  const id = randomUUID();
  await sql.execute((s) => `INSERT INTO ${s}.journal (id, loan_id, kind, currency, value_date, narrative, posted_by, posted_at)
    VALUES ($1::uuid, $2::uuid, $3, 'USD', $4::date, 'report test', 'test', now())`, id, loan['E'], kind, valueDate);
  await sql.execute((s) => `INSERT INTO ${s}.journal_line (journal_id, line, account, debit, credit, loan_id, currency, value_date)
    SELECT $1::uuid, t.n::int, t.account, t.debit::numeric, t.credit::numeric, $2::uuid, 'USD', $3::date
      FROM unnest($4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS t(account, debit, credit, n)`,
  id, loan['E'], valueDate, lines.map((l) => l[0]), lines.map((l) => l[1]), lines.map((l) => l[2]));
}

async function report(asOf: string | null, token = finance) {
  const response = await gql(server.gateway, REPORT, { token, variables: asOf ? { asOf } : {} });
  return response;
}

async function figures(asOf: string | null) {
  const response = await report(asOf);
  expect(response.errors).toBeUndefined();
  return response.data!['portfolioReport'];
}

const download = (path: string, token?: string) => fetch(`${server.gateway.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const amount = (money: string) => money.split(' ')[0]!;

/** Portfolio at risk, by measure: [loans, principal, ratio]. */
const parOf = (c: { portfolioAtRisk: { measure: string; loans: number; principal: string; ratio: string }[] }) =>
  Object.fromEntries(c.portfolioAtRisk.map((p) => [p.measure, [p.loans, p.principal, p.ratio]]));

// The first mix: A current, B exactly 30 days (not in PAR30), C 45, D 75 (no bucket yet), E 120; F written off.
const FIRST_PAR = {
  PAR1: [4, '20000.00 USD', '0.6667'],
  PAR30: [3, '12000.00 USD', '0.4000'],
  PAR60: [2, '6000.00 USD', '0.2000'],
  PAR90: [1, '2000.00 USD', '0.0667'],
};
const FIRST_AGING = [
  // A's bucket from its product's own buckets; D's from the policy's, by its days past due.
  { delinquencyBucket: 'SME current', loans: 1, principal: '10000.00 USD', interest: '0.00 USD', fee: '0.00 USD', penalty: '0.00 USD' },
  { delinquencyBucket: '1-30', loans: 1, principal: '8000.00 USD', interest: '0.00 USD', fee: '0.00 USD', penalty: '0.00 USD' },
  { delinquencyBucket: '31-60', loans: 1, principal: '6000.00 USD', interest: '0.00 USD', fee: '0.00 USD', penalty: '0.00 USD' },
  { delinquencyBucket: '61-90', loans: 1, principal: '4000.00 USD', interest: '40.00 USD', fee: '0.00 USD', penalty: '0.00 USD' },
  { delinquencyBucket: '91+', loans: 1, principal: '2000.00 USD', interest: '60.00 USD', fee: '10.00 USD', penalty: '5.00 USD' },
];
const FIRST_CLASSES = [
  { assetClass: 'STANDARD', loans: 3, exposure: '24000.00 USD', interestInSuspense: '0.00 USD', provision: '96.00 USD' },
  { assetClass: 'SUBSTANDARD', loans: 1, exposure: '4040.00 USD', interestInSuspense: '40.00 USD', provision: '600.00 USD' },
  { assetClass: 'DOUBTFUL', loans: 1, exposure: '2075.00 USD', interestInSuspense: '60.00 USD', provision: '1000.00 USD' },
];
const FIRST_TOTALS = {
  currency: 'USD', loans: 5, principal: '30000.00 USD', interest: '100.00 USD', fee: '10.00 USD', penalty: '5.00 USD',
  overduePrincipal: '20000.00 USD', interestInSuspense: '100.00 USD', provision: '1696.00 USD',
};

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('reports'), { sandbox: true, businessDate: TODAY });
  db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  for (const [code, kind] of [['orig-1', 'origination'], ['colend-1', 'colending']] as const) {
    await registerPartner(db, server.runtime.identity, setup(), { code, name: `Partner ${code}`, kind });
  }
  finance = await devToken(server.runtime, 'finance', tenant.slug, { subject: 'finance-1' });
  await book('A', 'SME-WC', '10000');
  for (const [letter, principal] of [['B', '8000'], ['C', '6000'], ['D', '4000'], ['E', '2000'], ['F', '3000']] as const) await book(letter, 'PL-STD', principal);

  // The lender's buckets, and SME-WC's own.
  const sql = tenantSql(db, tenant.schemaName);
  const buckets = [
    { name: 'current', fromDays: 0, toDays: 0 }, { name: '1-30', fromDays: 1, toDays: 30 }, { name: '31-60', fromDays: 31, toDays: 60 },
    { name: '61-90', fromDays: 61, toDays: 90 }, { name: '91+', fromDays: 91 },
  ];
  await sql.execute((s) => `INSERT INTO ${s}.delinquency_policy (id, version, buckets, regime, parameters, provisions, changed_by, changed_at)
    VALUES (true, 1, $1::jsonb, 'test', '{}', '{}', 'test', now()) ON CONFLICT (id) DO UPDATE SET buckets = excluded.buckets`, JSON.stringify(buckets));
  await sql.execute((s) => `UPDATE ${s}.loan_product SET delinquency_buckets = $1::jsonb WHERE code = 'SME-WC'`,
    JSON.stringify([{ name: 'SME current', fromDays: 0, toDays: 0 }, { name: 'SME late', fromDays: 1 }]));

  await position('A', { dpd: 0, bucket: null, assetClass: 'STANDARD', provision: '40' });
  await position('B', { status: 'overdue', dpd: 30, bucket: '1-30', assetClass: 'STANDARD', provision: '32' });
  await position('C', { status: 'overdue', dpd: 45, bucket: '31-60', assetClass: 'STANDARD', provision: '24' });
  await position('D', { status: 'overdue', dpd: 75, bucket: null, assetClass: 'SUBSTANDARD', interest: '40', suspense: '40', provision: '600' });
  await position('E', { status: 'overdue', dpd: 120, bucket: '91+', assetClass: 'DOUBTFUL', interest: '60', fee: '10', penalty: '5', suspense: '60', provision: '1000' });
  await position('F', { status: 'written_off', dpd: 200, bucket: '91+', assetClass: 'LOSS', provision: '3000' });

  // Income: interest in November (outside today's month), today's interest, fee and penalty, and interest moved to suspense.
  const accounts = (await db.loan.findUniqueOrThrow({ where: { id: loan['E']! } })).accounts as Record<string, string>;
  await journal('accrual', '2026-11-15', [[accounts['interestReceivable']!, '50', '0'], [accounts['interestIncome']!, '0', '50']]);
  await journal('accrual', '2026-11-30', [[accounts['interestReceivable']!, '25', '0'], [accounts['interestIncome']!, '0', '25']]);
  await journal('accrual', TODAY, [[accounts['interestReceivable']!, '100', '0'], [accounts['interestIncome']!, '0', '100']]);
  await journal('posting', TODAY, [[accounts['feeReceivable']!, '12', '0'], [accounts['feeIncome']!, '0', '12'], [accounts['penaltyReceivable']!, '7', '0'], [accounts['penaltyIncome']!, '0', '7']]);
  await journal('suspense', TODAY, [[accounts['interestIncome']!, '30', '0'], [accounts['interestSuspense']!, '0', '30']]);
});
afterAll(async () => {
  await server?.close();
});

describe('portfolio figures (pure)', () => {
  it('ratios are to 4 places, half-even, and 0 for an empty book', () => {
    expect(ratioOf(new Decimal('2'), new Decimal('3'))).toBe('0.6667');
    expect(ratioOf(new Decimal('0.66665'), new Decimal('1'))).toBe('0.6666');
    expect(ratioOf(new Decimal('0.66675'), new Decimal('1'))).toBe('0.6668');
    expect(ratioOf(new Decimal('5'), new Decimal('0'))).toBe('0.0000');
    expect(bookFigures([]).portfolioAtRisk.map((p) => p.ratio)).toEqual(['0.0000', '0.0000', '0.0000', '0.0000']);
  });
});

describe('the portfolio report as of the business date', () => {
  it('gives exact PAR, aging, classification, accruals and products from the current positions', async () => {
    const r = await figures(null);
    expect(r).toMatchObject({ asOf: TODAY, businessDate: TODAY, source: 'POSITIONS' });
    expect(r.currencies).toHaveLength(1);
    const usd = r.currencies[0];
    expect(usd).toMatchObject(FIRST_TOTALS);
    expect(parOf(usd)).toEqual(FIRST_PAR);
    expect(usd.portfolioAtRisk.map((p: { overDays: number }) => p.overDays)).toEqual([0, 30, 60, 90]);
    expect(usd.aging).toEqual(FIRST_AGING);
    expect(usd.classification).toEqual(FIRST_CLASSES);
    // Today's month: 100 of interest less 30 moved to suspense; November's 75 is not in it.
    expect(usd.accruals).toEqual({
      from: TODAY, to: TODAY, interestIncome: '70.00 USD', interestMovedToSuspense: '30.00 USD', feeIncome: '12.00 USD', penaltyIncome: '7.00 USD',
      interestReceivable: '100.00 USD', interestInSuspense: '100.00 USD',
    });
    expect(usd.products.map((p: any) => [p.productCode, p.loans, p.principal, p.portfolioAtRisk.map((x: any) => x.principal), p.provision])).toEqual([
      ['PL-STD', 4, '20000.00 USD', ['20000.00 USD', '12000.00 USD', '6000.00 USD', '2000.00 USD'], '1656.00 USD'],
      ['SME-WC', 1, '10000.00 USD', ['0.00 USD', '0.00 USD', '0.00 USD', '0.00 USD'], '40.00 USD'],
    ]);
    expect(usd.products[0].portfolioAtRisk[1]).toEqual({ measure: 'PAR30', principal: '12000.00 USD', ratio: '0.6000' });
    // The ledger's own trial balance as of the date: interest income carries every accrual and suspense journal.
    const income = r.trialBalance.lines.find((l: { account: string }) => l.account === '4000');
    expect(income).toMatchObject({ debits: '30.00 USD', credits: '175.00 USD', balance: '-145.00 USD' });
    expect(r.aging).toBe(`/reports/portfolio/aging.csv?asOf=${TODAY}`);
    expect(r.trial).toBe(`/reports/portfolio/trial-balance.csv?asOf=${TODAY}`);
  });

  it('each CSV section carries the same figures as GraphQL, a header row and one record per line', async () => {
    const r = await figures(null);
    const usd = r.currencies[0];
    const csvOf = async (section: string) => {
      const response = await download(`/reports/portfolio/${section}.csv?asOf=${TODAY}`, finance);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/text\/csv/);
      const text = await response.text();
      const [header] = parse(text) as string[][];
      expect(header).toEqual(PORTFOLIO_CSV_COLUMNS[section as keyof typeof PORTFOLIO_CSV_COLUMNS]);
      return parse(text, { columns: true }) as Record<string, string>[];
    };
    expect((await csvOf('par')).map((row) => [row['Measure'], Number(row['Loans']), `${row['Principal at risk']} USD`, row['Ratio'], row['Principal'], row['Currency']]))
      .toEqual(usd.portfolioAtRisk.map((p: any) => [p.measure, p.loans, p.principal, p.ratio, amount(usd.principal), 'USD']));
    expect((await csvOf('aging')).map((row) => ({
      delinquencyBucket: row['Delinquency bucket'], loans: Number(row['Loans']), principal: `${row['Principal']} USD`, interest: `${row['Interest']} USD`,
      fee: `${row['Fee']} USD`, penalty: `${row['Penalty']} USD`,
    }))).toEqual(usd.aging);
    expect((await csvOf('classification')).map((row) => ({
      assetClass: row['Asset class'], loans: Number(row['Loans']), exposure: `${row['Exposure']} USD`, interestInSuspense: `${row['Interest in suspense']} USD`, provision: `${row['Provision']} USD`,
    }))).toEqual(usd.classification);
    const [accruals, ...more] = await csvOf('accruals');
    expect(more).toEqual([]);
    expect({
      from: accruals!['From'], to: accruals!['To'], interestIncome: `${accruals!['Interest income']} USD`, interestMovedToSuspense: `${accruals!['Interest moved to suspense']} USD`,
      feeIncome: `${accruals!['Fee income']} USD`, penaltyIncome: `${accruals!['Penalty income']} USD`, interestReceivable: `${accruals!['Interest receivable']} USD`,
      interestInSuspense: `${accruals!['Interest in suspense']} USD`,
    }).toEqual(usd.accruals);
    expect((await csvOf('products')).map((row) => [row['Product'], row['Product name'], Number(row['Loans']), `${row['Principal']} USD`, row['PAR30'], row['Provision']]))
      .toEqual(usd.products.map((p: any) => [p.productCode, p.productName, p.loans, p.principal, amount(p.portfolioAtRisk[1].principal), amount(p.provision)]));
    expect((await csvOf('trial-balance')).map((row) => [row['Account'], row['Name'], `${row['Debits']} USD`, `${row['Credits']} USD`, `${row['Balance']} USD`]))
      .toEqual(r.trialBalance.lines.map((l: any) => [l.account, l.name, l.debits, l.credits, l.balance]));
    expect(PORTFOLIO_CSV_SECTIONS).toHaveLength(6);
    expect((await download(`/reports/portfolio/nope.csv?asOf=${TODAY}`, finance)).status).toBe(404);
  });
});

describe('a past date comes from the summary end of day wrote', () => {
  it('writes the summary set-based and idempotently, through either raw-SQL door, only for a date with a run', async () => {
    const sql = tenantSql(db, tenant.schemaName);
    // The summary belongs to a run (a foreign key): none for this date yet.
    await expect(writeEndOfDaySummary(sql, CLOSED)).rejects.toThrow();
    await sql.execute((s) => `INSERT INTO ${s}.end_of_day_run (business_date, previous_date, status, started_by, started_at, finished_at)
      VALUES ($1::date, $2::date, 'completed', 'test', now(), now())`, CLOSED, '2026-11-29');
    // One row per product, currency, band, bucket and class: A, B, C, D and E each in a group of their own.
    expect(await writeEndOfDaySummary(sql, CLOSED)).toBe(5);
    expect(await writeEndOfDaySummary(sql, CLOSED)).toBe(5);
    expect(await withTenantSql(server.runtime.pool, tenant.schemaName, (_client, pooled) => writeEndOfDaySummary(pooled, CLOSED))).toBe(5);
    expect(await db.endOfDaySummary.count()).toBe(5);
    const rows = await db.endOfDaySummary.findMany({ orderBy: { principalReceivable: 'desc' } });
    expect(rows.map((row) => [row.dpdBand, row.delinquencyBucket, row.assetClass, row.loans, row.principalReceivable.toString(), row.overduePrincipal.toString()])).toEqual([
      ['0', 'SME current', 'STANDARD', 1, '10000', '0'],
      ['1-30', '1-30', 'STANDARD', 1, '8000', '8000'],
      ['31-60', '31-60', 'STANDARD', 1, '6000', '6000'],
      ['61-90', '61-90', 'SUBSTANDARD', 1, '4000', '4000'],
      ['91+', '91+', 'DOUBTFUL', 1, '2000', '2000'],
    ]);
    // The live summary is the same SELECT: the same rows, unwritten.
    expect((await liveSummary(db, tenant.schemaName)).map((row) => row.principalReceivable.toString()).sort()).toEqual(['10000', '2000', '4000', '6000', '8000']);
  });

  it('keeps the closed date\'s figures after positions change, while today\'s follow the positions', async () => {
    // B is paid up, C slips to 65 days, E is closed.
    await position('B', { status: 'active', dpd: 0, bucket: 'current', assetClass: 'STANDARD' });
    await position('C', { dpd: 65, bucket: '61-90', assetClass: 'STANDARD' });
    await position('D', { dpd: 95, bucket: '91+', assetClass: 'SUBSTANDARD' });
    await position('E', { status: 'closed', dpd: 0, bucket: '91+' });

    const today = (await figures(TODAY)).currencies[0];
    expect(today).toMatchObject({ loans: 4, principal: '28000.00 USD', overduePrincipal: '10000.00 USD' });
    expect(parOf(today)).toEqual({
      PAR1: [2, '10000.00 USD', '0.3571'],
      PAR30: [2, '10000.00 USD', '0.3571'],
      PAR60: [2, '10000.00 USD', '0.3571'],
      PAR90: [1, '4000.00 USD', '0.1429'],
    });
    expect(today.aging.map((l: { delinquencyBucket: string; loans: number }) => [l.delinquencyBucket, l.loans])).toEqual([['SME current', 1], ['current', 1], ['61-90', 1], ['91+', 1]]);

    const past = await figures(CLOSED);
    expect(past).toMatchObject({ asOf: CLOSED, businessDate: TODAY, source: 'END_OF_DAY' });
    const usd = past.currencies[0];
    expect(usd).toMatchObject(FIRST_TOTALS);
    expect(parOf(usd)).toEqual(FIRST_PAR);
    expect(usd.aging).toEqual(FIRST_AGING);
    expect(usd.classification).toEqual(FIRST_CLASSES);
    // November to the 30th: 50 + 25 of interest, nothing moved to suspense; receivable and suspense as the summary holds them.
    expect(usd.accruals).toEqual({
      from: '2026-11-01', to: CLOSED, interestIncome: '75.00 USD', interestMovedToSuspense: '0.00 USD', feeIncome: '0.00 USD', penaltyIncome: '0.00 USD',
      interestReceivable: '100.00 USD', interestInSuspense: '100.00 USD',
    });
    expect(past.trialBalance.asOf).toBe(CLOSED);
    expect(past.trialBalance.lines.find((l: { account: string }) => l.account === '4000')).toMatchObject({ balance: '-75.00 USD' });
    // The CSV of the closed date is the closed date's.
    const csv = parse(await (await download(`/reports/portfolio/par.csv?asOf=${CLOSED}`, finance)).text(), { columns: true }) as Record<string, string>[];
    expect(csv.map((row) => [row['As of'], row['Measure'], row['Ratio']])).toEqual([[CLOSED, 'PAR1', '0.6667'], [CLOSED, 'PAR30', '0.4000'], [CLOSED, 'PAR60', '0.2000'], [CLOSED, 'PAR90', '0.0667']]);
  });

  it('refuses a date after the business date, and a past date no end of day closed, naming asOf', async () => {
    for (const [asOf, message] of [['2026-12-02', 'after the business date'], ['2026-11-15', 'no end of day closed on 2026-11-15']] as const) {
      const refused = await report(asOf);
      expect(codes(refused)).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors![0]!.extensions['field']).toBe('asOf');
      expect(refused.errors![0]!.message).toContain(message);
      const csv = await download(`/reports/portfolio/aging.csv?asOf=${asOf}`, finance);
      expect(csv.status).toBe(400);
      expect(await csv.json()).toMatchObject({ error: { code: 'BAD_USER_INPUT', field: 'asOf' } });
    }
    // Given twice, or as a list, it is no date: refused naming it, not read as the first or as the business date.
    for (const query of ['asOf=2026-12-01&asOf=2026-11-30', 'asOf[]=2026-12-01', 'asOf[x]=1']) {
      const csv = await download(`/reports/portfolio/aging.csv?${query}`, finance);
      expect(csv.status, query).toBe(400);
      expect(await csv.json()).toMatchObject({ error: { code: 'BAD_USER_INPUT', field: 'asOf' } });
    }
    // A run that has not completed has closed nothing.
    await tenantSql(db, tenant.schemaName).execute((s) => `INSERT INTO ${s}.end_of_day_run (business_date, previous_date, status, started_by, started_at)
      VALUES ('2026-11-20', '2026-11-19', 'failed', 'test', now())`);
    expect((await report('2026-11-20')).errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'asOf' });
  });
});

describe('a lender that never set a delinquency policy', () => {
  it('counts a loan end of day has not bucketed yet in the default policy\'s bucket for its days past due, as end of day would', async () => {
    const lender = await createTenant(server.runtime, uniqueSlug('reports-default'), { sandbox: true, businessDate: TODAY });
    const lenderDb = server.runtime.tenantClients.forSchema(lender.schemaName);
    expect(await lenderDb.delinquencyPolicy.count()).toBe(0);
    const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
    await disburseLoan(lenderDb, { tenant: lender.slug, actor, now: new Date() }, TODAY, { productCode: 'PL-STD', principal: new Decimal('2000'), disbursementDate: TODAY, numberOfRepayments: 12 });
    const answer = await gql(server.gateway, REPORT, { token: await devToken(server.runtime, 'finance', lender.slug) });
    expect(answer.errors).toBeUndefined();
    const usd = answer.data!['portfolioReport'].currencies.find((c: { currency: string }) => c.currency === 'USD');
    expect(usd.aging.map((line: { delinquencyBucket: string; loans: number }) => [line.delinquencyBucket, line.loans])).toEqual([['Current', 1]]);
  });
});

describe('who may read it', () => {
  it('finance and auditors read it; a loan officer and partners of either kind are refused, over GraphQL and CSV', async () => {
    const auditor = await devToken(server.runtime, 'auditor', tenant.slug);
    expect((await report(null, auditor)).errors).toBeUndefined();
    const refused = [
      await devToken(server.runtime, 'loan-officer', tenant.slug),
      await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'orig-1', kind: 'origination' } }),
      await devToken(server.runtime, 'colending-partner', tenant.slug, { partner: { id: 'colend-1', kind: 'colending' } }),
    ];
    for (const token of refused) {
      const answer = await report(null, token);
      expect(codes(answer)).toEqual(['FORBIDDEN']);
      expect(JSON.stringify(answer.data ?? null)).not.toContain('USD');
      expect((await download(`/reports/portfolio/par.csv?asOf=${TODAY}`, token)).status).toBe(403);
    }
    const anonymous = await download(`/reports/portfolio/par.csv?asOf=${TODAY}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="lendgraph"');
  });
});
