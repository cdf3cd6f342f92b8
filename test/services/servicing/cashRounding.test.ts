// A lender's cash rounding for a currency, through the API: a yen lender that collects in hundreds sets 100, and
// from then on schedule previews and booked loans have instalments in multiples of 100 while the schedule still
// repays exactly the principal plus its interest; a booked loan keeps the multiple it was booked with.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { Decimal } from '../../../src/domain/money.js';
import { loanTerms, termsToJson } from '../../../src/domain/servicing/product.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL } from '../../../src/domain/servicing/allocation.js';
import { disburseLoan } from '../../../src/services/servicing/loans.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, USER_ERRORS, userErrors, type TestServer } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;

const PREVIEW = `query($principal: Decimal!, $date: Date!) { loanProducts(first: 5) { edges { node { code
  schedulePreview(principal: $principal, numberOfRepayments: 12, disbursementDate: $date) {
    totalInterest totalRepayable instalments { number principal interest total outstandingPrincipal } } } } } }`;
const SET = `mutation($input: SetCurrencyCashRoundingInput!) { setCurrencyCashRounding(input: $input) {
  currencySetting { currency minorUnits cashRoundingMultiple updatedBy } ${USER_ERRORS} } }`;

interface Line { number: number; principal: string; interest: string; total: string; outstandingPrincipal: string }
const yen = (money: string) => {
  expect(money).toMatch(/^-?\d+ JPY$/);
  return new Decimal(money.split(' ')[0]!);
};
const sum = (lines: Line[], key: 'principal' | 'interest' | 'total') => lines.reduce((total, line) => total.plus(yen(line[key])), new Decimal(0));

async function preview(token: string, principal: string) {
  const response = await gql(server.gateway, PREVIEW, { token, variables: { principal, date: tenant.businessDate } });
  expect(response.errors).toBeUndefined();
  const node = (response.data!['loanProducts'].edges as { node: { code: string; schedulePreview: { totalInterest: string; totalRepayable: string; instalments: Line[] } } }[])
    .map((edge) => edge.node).find((n) => n.code === 'YEN-PL')!;
  return node.schedulePreview;
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('yen'), { currency: 'JPY', timeZone: 'Asia/Tokyo' });
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  const product = await db.loanProduct.create({
    data: { code: 'YEN-PL', name: 'Yen personal loan', currency: 'JPY', minAmount: 100_000, maxAmount: 10_000_000, minTenor: 6, maxTenor: 60, annualRate: '0.129' },
  });
  await db.loanProductVersion.create({
    data: {
      productId: product.id, version: 1, terms: termsToJson(loanTerms({ currency: 'JPY', annualRatePercent: '12.9', numberOfRepayments: 12 })) as object,
      allocation: PENALTIES_FEES_INTEREST_PRINCIPAL as unknown as object, createdBy: 'test-setup', createdAt: new Date(),
    },
  });
});
afterAll(async () => {
  await server.close();
});

describe('cash rounding per currency', () => {
  it('a yen lender collecting in hundreds gets instalments in multiples of 100 that still sum to principal plus interest', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const officer = await devToken(server.runtime, 'loan-officer', tenant.slug);

    // Before: the product rounds to the yen (its minor unit), so the level instalment is not in hundreds.
    const before = await preview(officer, '1234567');
    expect(yen(before.instalments[0]!.total).mod(100).isZero()).toBe(false);
    const listed = await gql(server.gateway, '{ currencies { currency minorUnits cashRoundingMultiple updatedBy } }', { token: officer });
    expect(listed.errors).toBeUndefined();
    expect(listed.data!['currencies']).toEqual([{ currency: 'JPY', minorUnits: 0, cashRoundingMultiple: '1', updatedBy: null }]);

    const set = await gql(server.gateway, SET, { token: admin, variables: { input: { currency: 'JPY', cashRoundingMultiple: '100' } } });
    expect(userErrors(set, 'setCurrencyCashRounding')).toEqual([]);
    expect(set.data!['setCurrencyCashRounding'].currencySetting).toMatchObject({ currency: 'JPY', minorUnits: 0, cashRoundingMultiple: '100' });

    const after = await preview(officer, '1234567');
    const lines = after.instalments;
    expect(lines).toHaveLength(12);
    // Every instalment but the last is level and in hundreds; the last repays what principal is left (as Fineract does).
    for (const line of lines.slice(0, -1)) expect(yen(line.total).mod(100).toNumber(), `instalment ${line.number}`).toBe(0);
    expect(new Set(lines.slice(0, -1).map((line) => line.total)).size).toBe(1);
    expect(sum(lines, 'principal').toFixed()).toBe('1234567');
    expect(sum(lines, 'total').toFixed()).toBe(yen(after.totalRepayable).toFixed());
    expect(yen(after.totalRepayable).toFixed()).toBe(new Decimal('1234567').plus(yen(after.totalInterest)).toFixed());
    expect(sum(lines, 'interest').toFixed()).toBe(yen(after.totalInterest).toFixed());
    expect(lines.at(-1)!.outstandingPrincipal).toBe('0 JPY');

    // Booked: the loan's terms record the multiple used, and its schedule is the one previewed.
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const command = { tenant: tenant.slug, actor: { subject: 'test-officer', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'booking' }, now: new Date() };
    const { loanId } = await disburseLoan(db, command, tenant.businessDate, { productCode: 'YEN-PL', principal: new Decimal('1234567'), disbursementDate: tenant.businessDate, numberOfRepayments: 12 });
    const loan = await db.loan.findUniqueOrThrow({ where: { id: loanId } });
    expect((loan.terms as { instalmentMultiple: string }).instalmentMultiple).toBe('100');
    const booked = await gql(server.gateway, `{ node(id: "${encodeGlobalID('Loan', loanId)}") { ... on Loan { account { instalments { number charged { principal interest } } } } } }`, { token: officer });
    expect(booked.errors).toBeUndefined();
    const instalments = (booked.data!['node'] as { account: { instalments: { number: number; charged: { principal: string; interest: string } }[] } }).account.instalments;
    expect(instalments.map((i) => yen(i.charged.principal).plus(yen(i.charged.interest)).toFixed())).toEqual(lines.map((line) => yen(line.total).toFixed()));

    // Changing the setting later changes new loans and previews only: the booked loan keeps 100.
    const reset = await gql(server.gateway, SET, { token: admin, variables: { input: { currency: 'JPY', cashRoundingMultiple: '1' } } });
    expect(userErrors(reset, 'setCurrencyCashRounding')).toEqual([]);
    expect(yen((await preview(officer, '1234567')).instalments[0]!.total).toFixed()).toBe(yen(before.instalments[0]!.total).toFixed());
    expect(((await db.loan.findUniqueOrThrow({ where: { id: loanId } })).terms as { instalmentMultiple: string }).instalmentMultiple).toBe('100');
  });

  it('a product multiple that is not a multiple of the cash multiple becomes the least common multiple of the two', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const product = await db.loanProduct.findUniqueOrThrow({ where: { code: 'YEN-PL' } });
    await db.loanProductVersion.create({
      data: {
        productId: product.id, version: 2, terms: termsToJson(loanTerms({ currency: 'JPY', annualRatePercent: '12.9', numberOfRepayments: 12, instalmentMultiple: '150' })) as object,
        allocation: PENALTIES_FEES_INTEREST_PRINCIPAL as unknown as object, createdBy: 'test-setup', createdAt: new Date(),
      },
    });
    await db.loanProduct.update({ where: { id: product.id }, data: { currentVersion: 2 } });
    expect(userErrors(await gql(server.gateway, SET, { token: admin, variables: { input: { currency: 'JPY', cashRoundingMultiple: '100' } } }), 'setCurrencyCashRounding')).toEqual([]);
    const lines = (await preview(admin, '1234567')).instalments;
    for (const line of lines.slice(0, -1)) expect(yen(line.total).mod(300).toNumber(), `instalment ${line.number}`).toBe(0);
    expect(sum(lines, 'principal').toFixed()).toBe('1234567');
  });

  it('refuses a multiple that is not a positive whole number of minor units, or a currency not in use, naming the field and writing nothing', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const before = await db.currencySetting.findMany({ orderBy: { currency: 'asc' } });
    const audited = await db.auditRecord.count({ where: { action: 'currency.setCashRounding' } });
    for (const [input, field] of [
      [{ currency: 'JPY', cashRoundingMultiple: '0' }, 'input.cashRoundingMultiple'],
      [{ currency: 'JPY', cashRoundingMultiple: '-100' }, 'input.cashRoundingMultiple'],
      [{ currency: 'JPY', cashRoundingMultiple: '0.5' }, 'input.cashRoundingMultiple'],
      [{ currency: 'USD', cashRoundingMultiple: '0.005' }, 'input.cashRoundingMultiple'],
      [{ currency: 'USD', cashRoundingMultiple: '999999999999999' }, 'input.cashRoundingMultiple'],
      [{ currency: 'JPY', cashRoundingMultiple: '1001' }, 'input.cashRoundingMultiple'],
      [{ currency: 'XAU', cashRoundingMultiple: '1' }, 'input.currency'],
      [{ currency: 'HRK', cashRoundingMultiple: '1' }, 'input.currency'],
      [{ currency: 'usd', cashRoundingMultiple: '1' }, 'input.currency'],
    ] as const) {
      const response = await gql(server.gateway, SET, { token: admin, variables: { input } });
      expect(userErrors(response, 'setCurrencyCashRounding').map((e) => [e.code, e.field]), JSON.stringify(input)).toEqual([['BAD_USER_INPUT', field]]);
      expect(response.data!['setCurrencyCashRounding'].currencySetting).toBeNull();
    }
    expect(await db.currencySetting.findMany({ orderBy: { currency: 'asc' } })).toEqual(before);
    expect(await db.auditRecord.count({ where: { action: 'currency.setCashRounding' } })).toBe(audited);
    // A five-cent cash rounding is whole cents: accepted.
    expect(userErrors(await gql(server.gateway, SET, { token: admin, variables: { input: { currency: 'CHF', cashRoundingMultiple: '0.05' } } }), 'setCurrencyCashRounding')).toEqual([]);
  });

  it('a loan the cash multiple is too coarse for is refused at booking, naming the principal and writing nothing', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const was = (await db.currencySetting.findUniqueOrThrow({ where: { currency: 'JPY' } })).cashRoundingMultiple.toString();
    expect(userErrors(await gql(server.gateway, SET, { token: admin, variables: { input: { currency: 'JPY', cashRoundingMultiple: '1000' } } }), 'setCurrencyCashRounding')).toEqual([]);
    try {
      const loans = await db.loan.count();
      // ¥100,000 over 60 months at 12.9 %: 2,270 a month, in thousands 2,000 (half-even) or 3,000, either way not
      // level to the end; 3,000 repays it by the 38th instalment.
      const refused = await gql(server.gateway, `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`, { token: admin, variables: { input: {
        idempotencyKey: `coarse-${Date.now()}`, productCode: 'YEN-PL', principal: '100000', numberOfRepayments: 60, disbursementDate: tenant.businessDate,
      } } });
      const errors = userErrors(refused, 'disburseLoan');
      expect(errors.map((e) => [e.code, e.field])).toEqual([['BAD_USER_INPUT', 'input.principal']]);
      expect(errors[0]!.message).toMatch(/multiple is too coarse for this loan/);
      expect(await db.loan.count()).toBe(loans);
      // The same loan over 12 months fits: 8,900 → 9,000 a month, the last taking the rest.
      const booked = await gql(server.gateway, `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`, { token: admin, variables: { input: {
        idempotencyKey: `fits-${Date.now()}`, productCode: 'YEN-PL', principal: '100000', numberOfRepayments: 12, disbursementDate: tenant.businessDate,
      } } });
      expect(userErrors(booked, 'disburseLoan')).toEqual([]);
    } finally {
      expect(userErrors(await gql(server.gateway, SET, { token: admin, variables: { input: { currency: 'JPY', cashRoundingMultiple: was } } }), 'setCurrencyCashRounding')).toEqual([]);
    }
  });

  it('every change is audited with who made it and what it was before; a loan officer may read but not set', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const records = await db.auditRecord.findMany({ where: { action: 'currency.setCashRounding', entityId: 'JPY' }, orderBy: { occurredAt: 'asc' } });
    expect(records.length).toBeGreaterThanOrEqual(3);
    expect(records[0]).toMatchObject({ entityType: 'CurrencySetting', before: null, after: { cashRoundingMultiple: '100' } });
    expect(records[1]).toMatchObject({ before: { cashRoundingMultiple: '100' }, after: { cashRoundingMultiple: '1' } });
    const officer = await devToken(server.runtime, 'loan-officer', tenant.slug);
    const refused = await gql(server.gateway, SET, { token: officer, variables: { input: { currency: 'JPY', cashRoundingMultiple: '1000' } } });
    expect(codes(refused)).toEqual(['FORBIDDEN']);
    const listed = await gql(server.gateway, '{ currencies { currency cashRoundingMultiple } }', { token: officer });
    expect(listed.data!['currencies']).toEqual([{ currency: 'CHF', cashRoundingMultiple: '0.05' }, { currency: 'JPY', cashRoundingMultiple: '100' }]);
  });
});
