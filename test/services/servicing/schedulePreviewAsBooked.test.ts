// A schedule preview refuses what booking the same loan refuses on its terms, in the same words, naming its own
// argument where booking names `input.` the same: a preview never shows a schedule a loan could not be booked with.
// Each case is previewed and booked (`disburseLoan`) with the same principal, tenor and dates; nothing is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { addDays } from '../../../src/domain/calendar.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let admin: string;

const CREATE = `mutation($input: CreateLoanProductInput!) { createLoanProduct(input: $input) { loanProduct { id } ${USER_ERRORS} } }`;
const SET = `mutation($input: SetCurrencyCashRoundingInput!) { setCurrencyCashRounding(input: $input) { currencySetting { currency } ${USER_ERRORS} } }`;
const PREVIEW = `query($id: ID!, $principal: Decimal!, $n: Int, $date: Date!, $first: Date) { node(id: $id) { ... on LoanProduct {
  schedulePreview(principal: $principal, numberOfRepayments: $n, disbursementDate: $date, firstRepaymentDate: $first) { instalments { number principal total } } } } }`;
const DISBURSE = `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`;
const INSTALMENTS = `query($id: ID!) { node(id: $id) { ... on Loan { account { instalments { number charged { principal interest } } } } } }`;

interface Loan { principal: string; n?: number; first?: string; date?: string }

let sequence = 0;
async function product(currency: string, terms: Record<string, unknown>, limits: Record<string, unknown> = {}): Promise<{ id: string; code: string }> {
  sequence += 1;
  const code = `AS-BOOKED-${sequence}`;
  const response = await gql(server.gateway, CREATE, { token: admin, variables: { input: {
    code, name: `Product ${sequence}`, currency, terms: { annualRatePercent: '12', numberOfRepayments: 12, ...terms },
    limits: { minAmount: currency === 'JPY' ? '1' : '0.01', maxAmount: '1000000', minTenorMonths: 1, maxTenorMonths: 1200, ...limits },
  } } });
  expect(userErrors(response, 'createLoanProduct'), JSON.stringify(terms)).toEqual([]);
  return { id: response.data!['createLoanProduct'].loanProduct.id, code };
}

const preview = (id: string, loan: Loan) =>
  gql(server.gateway, PREVIEW, { token: admin, variables: { id, principal: loan.principal, n: loan.n, date: loan.date ?? tenant.businessDate, first: loan.first } });

const book = (code: string, loan: Loan) => gql(server.gateway, DISBURSE, { token: admin, variables: { input: {
  idempotencyKey: `as-booked-${++sequence}`, productCode: code, principal: loan.principal, numberOfRepayments: loan.n, disbursementDate: loan.date ?? tenant.businessDate, firstRepaymentDate: loan.first,
} } });

/** Both refuse with BAD_USER_INPUT, the preview naming `field`, booking `input.field`, in the same words; nothing is booked. */
async function refusedAlike(made: { id: string; code: string }, loan: Loan, field: string, words: RegExp): Promise<void> {
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  const loans = await db.loan.count();
  const previewed = await preview(made.id, loan);
  expect(previewed.errors?.map((e) => ({ ...e.extensions, message: e.message })), JSON.stringify(loan)).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field, message: expect.stringMatching(words) })]);
  const booked = await book(made.code, loan);
  expect(userErrors(booked, 'disburseLoan'), JSON.stringify(loan)).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: `input.${field}`, message: previewed.errors![0]!.message })]);
  expect(await db.loan.count()).toBe(loans);
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('asbooked'));
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
});
afterAll(async () => {
  await server.close();
});

describe('a schedule preview refuses what booking refuses', () => {
  it('a cash multiple too coarse for the loan: ¥1,000 over 12 months in hundreds is repaid by the eleventh instalment', async () => {
    const yen = await product('JPY', {});
    expect(userErrors(await gql(server.gateway, SET, { token: admin, variables: { input: { currency: 'JPY', cashRoundingMultiple: '100' } } }), 'setCurrencyCashRounding')).toEqual([]);
    try {
      await refusedAlike(yen, { principal: '1000', n: 12 }, 'principal',
        /^with instalments in multiples of 100 JPY, 1000 JPY would be repaid by instalment 11 of 12: the multiple is too coarse for this loan$/);
    } finally {
      expect(userErrors(await gql(server.gateway, SET, { token: admin, variables: { input: { currency: 'JPY', cashRoundingMultiple: '1' } } }), 'setCurrencyCashRounding')).toEqual([]);
    }
  });

  it.each([
    ['a product multiple too coarse for the loan', () => product('USD', { instalmentMultiple: '100' }), { principal: '1000', n: 12 }, 'principal',
      /1000 USD would be repaid by instalment 11 of 12: the multiple is too coarse/],
    // ¥5 over 12 months: every instalment but the last comes to ¥0.
    ['a principal too small for any instalment before the last', () => product('JPY', {}), { principal: '5', n: 12 }, 'principal',
      /5 JPY would have nothing due in instalment 1: the multiple is too coarse/],
    // 10,000 at 12 % over 1,200 months: the annuity, 100.0000066, is 100.00 a month, exactly the interest.
    ['a tenor whose instalments repay no principal before the last', () => product('USD', {}), { principal: '10000', n: 1200 }, 'numberOfRepayments',
      /^10000 USD over 1200 instalments would repay no principal before the last, which would repay all of it \(10100 USD\): the instalments before it would pay only interest; fewer instalments repay principal as they go$/],
    // ¥10,000 at 12 %: 888 a month rounded down to thousands is 0, so only the interest falls due until the last.
    ['a multiple rounding the instalment down to its interest', () => product('JPY', { instalmentMultiple: '1000', roundingMode: 'DOWN' }), { principal: '10000', n: 12 }, 'numberOfRepayments',
      /would repay no principal before the last/],
    ['a fee the terms date before the disbursement', () => product('USD', { feesOnDates: [{ name: 'Arrangement', date: addDays(tenant.businessDate, -1), amount: '10' }] }), { principal: '1000' }, 'disbursementDate',
      /^the fee "Arrangement" falls due on \d{4}-\d{2}-\d{2}, before the disbursement on \d{4}-\d{2}-\d{2}$/],
    ['a deducted fee that leaves nothing to pay out', () => product('USD', { fees: { disbursement: { amount: '50', treatment: 'DEDUCTED' } } }), { principal: '50' }, 'principal',
      /a deducted disbursement fee must be less than the principal/],
  ] as [string, () => Promise<{ id: string; code: string }>, Loan, string, RegExp][])('%s', async (_what, made, loan, field, words) => {
    await refusedAlike(await made(), loan, field, words);
  });

  it('the product\'s amount and tenor, and a first repayment date out of bounds', async () => {
    const limited = await product('USD', {}, { minAmount: '100', maxAmount: '5000', minTenorMonths: 6, maxTenorMonths: 24 });
    await refusedAlike(limited, { principal: '99.99' }, 'principal', /^principal must be from 100 to 5000 USD$/);
    await refusedAlike(limited, { principal: '1000', n: 25 }, 'numberOfRepayments', /^the tenor must be from 6 to 24 months$/);
    await refusedAlike(limited, { principal: '1000', date: addDays(tenant.businessDate, -10), first: addDays(tenant.businessDate, 60) }, 'firstRepaymentDate', /at most two repayment periods after the disbursement date/);
  });

  it('what booking takes, the preview shows as booked', async () => {
    const fits = await product('USD', {});
    const previewed = await preview(fits.id, { principal: '10000', n: 12 });
    expect(previewed.errors).toBeUndefined();
    const booked = await book(fits.code, { principal: '10000', n: 12 });
    expect(userErrors(booked, 'disburseLoan')).toEqual([]);
    const account = await gql(server.gateway, INSTALMENTS, { token: admin, variables: { id: booked.data!['disburseLoan'].loan.id } });
    const charged = (account.data!['node'].account.instalments as { charged: { principal: string } }[]).map((i) => i.charged.principal);
    expect(charged).toEqual((previewed.data!['node'].schedulePreview.instalments as { principal: string }[]).map((i) => i.principal));
  });
});
