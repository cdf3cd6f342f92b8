// A lender sets itself up through the API alone: a tenant that is not a sandbox starts with no products, its admin
// creates them with every term the domain supports, each term shows in the product's terms and in the schedule a
// loan would have (`schedulePreview`), bad terms are refused naming the field with nothing written, a product is
// cloned and retired, and a loan is booked on a created product.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/domain/money.js';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type GraphQLResponse, type TestServer } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('setup'));
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
});
afterAll(async () => {
  await server.close();
});

const TERMS = `version annualRatePercent interestType amortization interestOnlyPeriods afterInterestOnly interestCalculation repaymentEvery repaymentUnit
  numberOfRepayments daysInYear daysInMonth thirtyDayMonths dayCountConvention graceOnPrincipalPeriods graceOnInterestPeriods instalmentMultiple roundingMode
  feePerInstalment disbursementFee disbursementFeeTreatment prepaymentOptions underpaymentTolerance penaltyRatePercent lateFee { kind amount overduePercent graceDays }
  feesOnDates { name date amount } allocationOrder allocationStrategy allocationFuture allocationFutureOrder
  levelInstalmentBasis equalPrincipalRounding flatInstalmentRounding`;
const PRODUCT = `id code name currency minAmount maxAmount minTenorMonths maxTenorMonths annualRatePercent retiredAt currentTerms { ${TERMS} }`;
const CREATE = `mutation($input: CreateLoanProductInput!) { createLoanProduct(input: $input) { loanProduct { ${PRODUCT} } ${USER_ERRORS} } }`;
const PREVIEW = `query($id: ID!, $principal: Decimal!, $n: Int, $date: Date!, $first: Date) { node(id: $id) { ... on LoanProduct {
  schedulePreview(principal: $principal, numberOfRepayments: $n, disbursementDate: $date, firstRepaymentDate: $first) {
    productVersion netDisbursement totalInterest totalRepayable instalments { number dueDate principal interest fee total outstandingPrincipal } } } } }`;

const LIMITS = { minAmount: '100', maxAmount: '100000', minTenorMonths: 1, maxTenorMonths: 120 };
let sequence = 0;

async function create(terms: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<GraphQLResponse> {
  sequence += 1;
  return gql(server.gateway, CREATE, { token: admin, variables: { input: { code: `P-${sequence}`, name: `Product ${sequence}`, currency: 'USD', terms, limits: LIMITS, ...extra } } });
}

/** A created product; fails the test when it was refused. */
async function created(terms: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const response = await create(terms, extra);
  expect(userErrors(response, 'createLoanProduct'), JSON.stringify(terms)).toEqual([]);
  return response.data!['createLoanProduct'].loanProduct;
}

interface Instalment { number: number; dueDate: string; principal: Decimal; interest: Decimal; fee: Decimal; total: Decimal; outstandingPrincipal: Decimal }
interface Preview { productVersion: number; netDisbursement: Decimal; totalInterest: Decimal; totalRepayable: Decimal; instalments: Instalment[] }

const amount = (money: string) => new Decimal(money.split(' ')[0]!);

async function previewOf(id: string, principal: string, options: { n?: number; date?: string; first?: string } = {}): Promise<Preview> {
  const response = await gql(server.gateway, PREVIEW, { token: admin, variables: { id, principal, n: options.n, date: options.date ?? '2026-01-15', first: options.first } });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  const p = response.data!['node'].schedulePreview;
  return {
    productVersion: p.productVersion, netDisbursement: amount(p.netDisbursement), totalInterest: amount(p.totalInterest), totalRepayable: amount(p.totalRepayable),
    instalments: p.instalments.map((i: Record<string, any>) => ({
      number: i['number'], dueDate: i['dueDate'], principal: amount(i['principal']), interest: amount(i['interest']), fee: amount(i['fee']), total: amount(i['total']),
      outstandingPrincipal: amount(i['outstandingPrincipal']),
    })),
  };
}

const strings = (values: Decimal[]) => values.map((v) => v.toFixed(2));
const daysBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 86_400_000;
const base = { annualRatePercent: '12', numberOfRepayments: 12 };

describe('a lender that is not a sandbox sets up its products', () => {
  it('starts with no products; its admin creates one with the usual defaults', async () => {
    const empty = await gql(server.gateway, '{ loanProducts(first: 10) { totalCount } }', { token: admin });
    expect(empty.data!['loanProducts'].totalCount).toBe(0);
    const product = await created(base);
    expect(product).toMatchObject({ currency: 'USD', minAmount: '100.00 USD', maxAmount: '100000.00 USD', minTenorMonths: 1, maxTenorMonths: 120, annualRatePercent: '12', retiredAt: null });
    expect(product['currentTerms']).toEqual({
      version: 1, annualRatePercent: '12', interestType: 'DECLINING_BALANCE', amortization: 'EQUAL_INSTALMENTS', interestOnlyPeriods: null, afterInterestOnly: null,
      interestCalculation: 'PER_REPAYMENT_PERIOD', repaymentEvery: 1, repaymentUnit: 'MONTHS', numberOfRepayments: 12, daysInYear: 'DAYS_365', daysInMonth: 'ACTUAL',
      thirtyDayMonths: null, dayCountConvention: 'Actual/365 (Fixed)', graceOnPrincipalPeriods: 0, graceOnInterestPeriods: 0, instalmentMultiple: '0.01', roundingMode: 'HALF_EVEN',
      feePerInstalment: '0.00 USD', disbursementFee: null, disbursementFeeTreatment: null, prepaymentOptions: ['REDUCE_INSTALMENT', 'REDUCE_TENOR'],
      underpaymentTolerance: '0.00 USD', penaltyRatePercent: '0', lateFee: null, feesOnDates: [],
      allocationOrder: ['PENALTY', 'FEE', 'INTEREST', 'PRINCIPAL'], allocationStrategy: 'DUE_DATE_FIRST', allocationFuture: 'PAY_NEXT_INSTALMENTS', allocationFutureOrder: expect.any(Array),
      levelInstalmentBasis: 'PERIODIC_RATE', equalPrincipalRounding: 'MULTIPLE', flatInstalmentRounding: 'INSTALMENT',
    });
    const plan = await previewOf(product['id'], '10000');
    expect(plan.instalments).toHaveLength(12);
    // A whole monthly period at 12 % earns exactly 1 %.
    expect(plan.instalments[0]!.interest.toFixed(2)).toBe('100.00');
    expect(new Set(strings(plan.instalments.slice(0, -1).map((i) => i.total))).size).toBe(1);
    const listed = await gql(server.gateway, '{ loanProducts(first: 10) { totalCount } }', { token: admin });
    expect(listed.data!['loanProducts'].totalCount).toBe(1);
  });

  // Each row: the terms, what `currentTerms` answers for them, and what the preview of 10,000 over 12 must show.
  const TABLE: [string, Record<string, unknown>, Record<string, unknown>, (p: Preview) => void][] = [
    ['flat interest: the same interest in every instalment, on the original principal', { interestType: 'FLAT' }, { interestType: 'FLAT' }, (p) => {
      expect(new Set(strings(p.instalments.map((i) => i.interest))).size).toBe(1);
      expect(p.totalInterest.toFixed(2)).toBe('1200.00');
    }],
    ['declining balance: interest falls as principal is repaid', { interestType: 'DECLINING_BALANCE' }, { interestType: 'DECLINING_BALANCE' }, (p) => {
      expect(p.instalments.at(-1)!.interest.lt(p.instalments[0]!.interest)).toBe(true);
      expect(p.totalInterest.lt(1200)).toBe(true);
    }],
    ['equal principal: the same principal part in every instalment, totals falling', { amortization: { kind: 'EQUAL_PRINCIPAL' } }, { amortization: 'EQUAL_PRINCIPAL' }, (p) => {
      expect(new Set(strings(p.instalments.slice(0, -1).map((i) => i.principal)))).toEqual(new Set(['833.33']));
      expect(p.instalments.at(-1)!.total.lt(p.instalments[0]!.total)).toBe(true);
    }],
    ['bullet: all principal with the last instalment', { amortization: { kind: 'BULLET' } }, { amortization: 'BULLET' }, (p) => {
      expect(p.instalments.slice(0, -1).every((i) => i.principal.isZero())).toBe(true);
      expect(p.instalments.at(-1)!.principal.toFixed(2)).toBe('10000.00');
    }],
    ['interest-only for 3, then equal principal', { amortization: { kind: 'INTEREST_ONLY', interestOnlyPeriods: 3, afterInterestOnly: 'EQUAL_PRINCIPAL' } },
      { amortization: 'INTEREST_ONLY', interestOnlyPeriods: 3, afterInterestOnly: 'EQUAL_PRINCIPAL' }, (p) => {
        expect(p.instalments.slice(0, 3).every((i) => i.principal.isZero() && i.interest.gt(0))).toBe(true);
        expect(new Set(strings(p.instalments.slice(3, -1).map((i) => i.principal)))).toEqual(new Set(['1111.11']));
      }],
    ['interest-only for 2, then equal instalments', { amortization: { kind: 'INTEREST_ONLY', interestOnlyPeriods: 2 } },
      { amortization: 'INTEREST_ONLY', interestOnlyPeriods: 2, afterInterestOnly: 'EQUAL_INSTALMENTS' }, (p) => {
        expect(p.instalments.slice(0, 2).every((i) => i.principal.isZero())).toBe(true);
        expect(new Set(strings(p.instalments.slice(2, -1).map((i) => i.total))).size).toBe(1);
      }],
    ['interest per day: a 31-day period earns 31 days at 12 % / 365', { interestCalculation: 'PER_DAY' }, { interestCalculation: 'PER_DAY' }, (p) => {
      expect(p.instalments[0]!.interest.toFixed(2)).toBe(new Decimal(10000).times('0.12').times(31).div(365).toFixed(2));
      // February (28 days) earns less than a whole 1 % period would.
      expect(p.instalments[1]!.interest.lt(p.instalments[1]!.outstandingPrincipal.plus(p.instalments[1]!.principal).div(100))).toBe(true);
    }],
    ['every 14 days: due dates 14 days apart', { repaymentEvery: { every: 14, unit: 'DAYS' } }, { repaymentEvery: 14, repaymentUnit: 'DAYS' }, (p) => {
      expect(p.instalments[0]!.dueDate).toBe('2026-01-29');
      p.instalments.slice(1).forEach((i, k) => expect(daysBetween(p.instalments[k]!.dueDate, i.dueDate)).toBe(14));
    }],
    ['weekly: due dates 7 days apart', { repaymentEvery: { every: 1, unit: 'WEEKS' } }, { repaymentEvery: 1, repaymentUnit: 'WEEKS' }, (p) => {
      p.instalments.slice(1).forEach((i, k) => expect(daysBetween(p.instalments[k]!.dueDate, i.dueDate)).toBe(7));
    }],
    ['every 2 months: due on the 15th of every other month', { repaymentEvery: { every: 2, unit: 'MONTHS' }, numberOfRepayments: 6 }, { repaymentEvery: 2, repaymentUnit: 'MONTHS' }, (p) => {
      expect(p.instalments.map((i) => i.dueDate)).toEqual(['2026-03-15', '2026-05-15', '2026-07-15', '2026-09-15', '2026-11-15', '2027-01-15']);
    }],
    ['Actual/360: a day earns 1/360 of the annual rate', { interestCalculation: 'PER_DAY', daysInYear: 'DAYS_360' }, { daysInYear: 'DAYS_360', dayCountConvention: 'Actual/360' }, (p) => {
      expect(p.instalments[0]!.interest.toFixed(2)).toBe('103.33');
    }],
    ['Actual/364: a day earns 1/364', { interestCalculation: 'PER_DAY', daysInYear: 'DAYS_364' }, { daysInYear: 'DAYS_364', dayCountConvention: 'Actual/364' }, (p) => {
      expect(p.instalments[0]!.interest.toFixed(2)).toBe('102.20');
    }],
    ['Actual/365 (Fixed): a day earns 1/365', { interestCalculation: 'PER_DAY', daysInYear: 'DAYS_365' }, { daysInYear: 'DAYS_365', dayCountConvention: 'Actual/365 (Fixed)' }, (p) => {
      expect(p.instalments[0]!.interest.toFixed(2)).toBe('101.92');
    }],
    ['Actual/Actual (ISDA): in 2026, not a leap year, a day earns 1/365', { interestCalculation: 'PER_DAY', daysInYear: 'ACTUAL' }, { daysInYear: 'ACTUAL', dayCountConvention: 'Actual/Actual (ISDA)' }, (p) => {
      expect(p.instalments[0]!.interest.toFixed(2)).toBe('101.92');
    }],
    ['30/360: every month counts 30 days, so a month earns exactly 1 % even per day', { interestCalculation: 'PER_DAY', daysInYear: 'DAYS_360', daysInMonth: 'DAYS_30' },
      { daysInMonth: 'DAYS_30', thirtyDayMonths: 'US', dayCountConvention: '30/360 (US)' }, (p) => {
        expect(p.instalments[0]!.interest.toFixed(2)).toBe('100.00');
      }],
    ['30E/365 (European rule)', { interestCalculation: 'PER_DAY', daysInYear: 'DAYS_365', daysInMonth: 'DAYS_30', thirtyDayMonths: 'EUROPEAN' },
      { daysInMonth: 'DAYS_30', thirtyDayMonths: 'EUROPEAN', dayCountConvention: '30/365 (European)' }, (p) => {
        expect(p.instalments[0]!.interest.toFixed(2)).toBe(new Decimal(10000).times('0.12').times(30).div(365).toFixed(2));
      }],
    ['grace on principal for 2: no principal in the first two, interest still due', { grace: { principalPeriods: 2 } }, { graceOnPrincipalPeriods: 2 }, (p) => {
      expect(p.instalments.slice(0, 2).every((i) => i.principal.isZero() && i.interest.gt(0))).toBe(true);
      expect(p.instalments[2]!.principal.gt(0)).toBe(true);
    }],
    ['grace on interest for 2: interest deferred to the third instalment', { grace: { interestPeriods: 2 } }, { graceOnInterestPeriods: 2 }, (p) => {
      expect(p.instalments.slice(0, 2).every((i) => i.interest.isZero())).toBe(true);
      expect(p.instalments[2]!.interest.gt(p.instalments[3]!.interest.times(2))).toBe(true);
    }],
    ['instalment multiple 100: instalments are multiples of 100', { instalmentMultiple: '100' }, { instalmentMultiple: '100' }, (p) => {
      expect(p.instalments.slice(0, -1).every((i) => i.total.mod(100).isZero())).toBe(true);
    }],
    ['fees: one per instalment and one at disbursement, deducted', { fees: { perInstalment: '2.50', disbursement: { amount: '100', treatment: 'DEDUCTED' } } },
      { feePerInstalment: '2.50 USD', disbursementFee: '100.00 USD', disbursementFeeTreatment: 'DEDUCTED' }, (p) => {
        expect(p.instalments.every((i) => i.fee.toFixed(2) === '2.50')).toBe(true);
        expect(p.netDisbursement.toFixed(2)).toBe('9900.00');
      }],
    ['a disbursement fee financed: added to the principal, the payout whole', { fees: { disbursement: { amount: '100', treatment: 'FINANCED' } } }, { disbursementFeeTreatment: 'FINANCED' }, (p) => {
      expect(p.netDisbursement.toFixed(2)).toBe('10000.00');
      expect(p.instalments.reduce((sum, i) => sum.plus(i.principal), new Decimal(0)).toFixed(2)).toBe('10100.00');
    }],
    ['a late fee, penalty interest, tolerance, prepayment, a dated fee and an allocation rule', {
      lateFee: { kind: 'PERCENT_OF_OVERDUE', percent: '2', graceDays: 5 }, penaltyRatePercent: '24', underpaymentTolerance: '1.50', prepayment: { allowed: ['REDUCE_TENOR'] },
      feesOnDates: [{ name: 'Annual maintenance fee', date: '2026-06-30', amount: '25' }],
      allocation: { order: ['INTEREST', 'PRINCIPAL', 'PENALTY', 'FEE'], strategy: 'COMPONENT_FIRST', future: 'REDUCE_LAST_INSTALMENTS', futureOrder: ['PRINCIPAL'] },
    }, {
      lateFee: { kind: 'PERCENT_OF_OVERDUE', amount: null, overduePercent: '2', graceDays: 5 }, penaltyRatePercent: '24', underpaymentTolerance: '1.50 USD', prepaymentOptions: ['REDUCE_TENOR'],
      feesOnDates: [{ name: 'Annual maintenance fee', date: '2026-06-30', amount: '25.00 USD' }],
      allocationOrder: ['INTEREST', 'PRINCIPAL', 'PENALTY', 'FEE'], allocationStrategy: 'COMPONENT_FIRST', allocationFuture: 'REDUCE_LAST_INSTALMENTS', allocationFutureOrder: ['PRINCIPAL'],
    }, (p) => {
      // None of these changes the schedule a loan starts with: they act on late or early money.
      expect(p.instalments).toHaveLength(12);
      expect(p.instalments[0]!.interest.toFixed(2)).toBe('100.00');
      // Everything the borrower would repay counts the dated fee too, as an offer's total does.
      expect(p.totalRepayable.toFixed(2)).toBe(p.instalments.reduce((sum, i) => sum.plus(i.total), new Decimal(25)).toFixed(2));
    }],
    ['a fixed late fee with grace days', { lateFee: { kind: 'FIXED', amount: '15', graceDays: 3 } }, { lateFee: { kind: 'FIXED', amount: '15.00 USD', overduePercent: null, graceDays: 3 } }, (p) => {
      expect(p.instalments).toHaveLength(12);
    }],
  ];

  for (const [name, terms, shows, check] of TABLE) {
    it(name, async () => {
      const product = await created({ ...base, ...terms });
      expect(product['currentTerms']).toMatchObject(shows);
      const plan = await previewOf(product['id'], '10000');
      expect(plan.instalments.at(-1)!.outstandingPrincipal.isZero()).toBe(true);
      check(plan);
    });
  }

  it('Actual/Actual (ISDA) differs from Actual/365 (Fixed) in a leap year; 360 from 365 always', async () => {
    const interest = async (daysInYear: string, date: string) => {
      const product = await created({ ...base, interestCalculation: 'PER_DAY', daysInYear });
      return (await previewOf(product['id'], '10000', { date })).instalments[0]!.interest.toFixed(2);
    };
    // Jan 15 to Feb 15 2028: 31 days of a 366-day year.
    expect(await interest('ACTUAL', '2028-01-15')).toBe('101.64');
    expect(await interest('DAYS_365', '2028-01-15')).toBe('101.92');
    expect(await interest('DAYS_360', '2028-01-15')).not.toBe(await interest('DAYS_365', '2028-01-15'));
  });

  it('a lender migrating from Apache Fineract names its conventions: each option changes the schedule, Lendgraph\'s own are the defaults', async () => {
    const plain = await created({ ...base, amortization: { kind: 'EQUAL_PRINCIPAL' }, instalmentMultiple: '100' });
    expect(plain['currentTerms']).toMatchObject({ levelInstalmentBasis: 'PERIODIC_RATE', equalPrincipalRounding: 'MULTIPLE', flatInstalmentRounding: 'INSTALMENT' });
    // 10,000 over 12: the equal part is 833.33; rounded to the multiple it is 800, to the minor unit 833.33.
    expect((await previewOf(plain['id'], '10000')).instalments[0]!.principal.toFixed(2)).toBe('800.00');
    const fineract = await created({ ...base, amortization: { kind: 'EQUAL_PRINCIPAL' }, instalmentMultiple: '100', equalPrincipalRounding: 'MINOR_UNIT' });
    expect(fineract['currentTerms'].equalPrincipalRounding).toBe('MINOR_UNIT');
    expect((await previewOf(fineract['id'], '10000')).instalments[0]!.principal.toFixed(2)).toBe('833.33');

    const level = async (terms: Record<string, unknown>) => (await previewOf((await created({ ...base, interestCalculation: 'PER_DAY', ...terms }))['id'], '10000')).instalments[0]!.total.toFixed(2);
    expect(await level({ levelInstalmentBasis: 'PERIOD_DAYS' })).not.toBe(await level({}));
    const flat = async (terms: Record<string, unknown>) => (await previewOf((await created({ ...base, annualRatePercent: '13', interestType: 'FLAT', instalmentMultiple: '1', ...terms }))['id'], '10000')).instalments[0]!;
    const [whole, split] = [await flat({}), await flat({ flatInstalmentRounding: 'PRINCIPAL_AND_INTEREST' })];
    expect(whole.total.isInteger()).toBe(true);
    expect(split.total.toFixed(2)).not.toBe(whole.total.toFixed(2));
    for (const daysInYear of ['FINERACT_CUMULATIVE_ACTUAL', 'FINERACT_PROGRESSIVE_ACTUAL']) {
      expect((await created({ ...base, daysInYear }))['currentTerms'].daysInYear).toBe(daysInYear);
    }
    // Fineract's cumulative "Actual" is a fixed 365-day year: the same interest as DAYS_365 in a leap year.
    const interest = async (daysInYear: string) => (await previewOf((await created({ ...base, interestCalculation: 'PER_DAY', daysInYear }))['id'], '10000', { date: '2028-01-15' })).instalments[0]!.interest.toFixed(2);
    expect(await interest('FINERACT_CUMULATIVE_ACTUAL')).toBe(await interest('DAYS_365'));
  });

  it('each rounding mode rounds the level instalment its own way', async () => {
    const totals: Record<string, string> = {};
    for (const mode of ['HALF_EVEN', 'HALF_UP', 'DOWN', 'UP']) {
      const product = await created({ ...base, instalmentMultiple: '1', roundingMode: mode });
      expect(product['currentTerms'].roundingMode).toBe(mode);
      const plan = await previewOf(product['id'], '10000');
      expect(plan.instalments.slice(0, -1).every((i) => i.total.isInteger())).toBe(true);
      totals[mode] = plan.instalments[0]!.total.toFixed(0);
    }
    // The annuity is 888.49: half-even and half-up round to 888, down to 888, up to 889.
    expect(totals).toEqual({ HALF_EVEN: '888', HALF_UP: '888', DOWN: '888', UP: '889' });
  });

  it('limits: small amounts and short tenors are what the product allows, and no more', async () => {
    const product = await created({ annualRatePercent: '20', numberOfRepayments: 2 }, { limits: { minAmount: '50', maxAmount: '500', minTenorMonths: 1, maxTenorMonths: 3 } });
    expect(product).toMatchObject({ minAmount: '50.00 USD', maxAmount: '500.00 USD', minTenorMonths: 1, maxTenorMonths: 3 });
    expect((await previewOf(product['id'], '50', { n: 1 })).instalments).toHaveLength(1);
    expect((await previewOf(product['id'], '500')).instalments).toHaveLength(2);
    const outside = async (principal: string, n: number) =>
      (await gql(server.gateway, PREVIEW, { token: admin, variables: { id: product['id'], principal, n, date: '2026-01-15' } })).errors![0]!.extensions;
    expect(await outside('49.99', 2)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'principal' });
    expect(await outside('500.01', 2)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'principal' });
    expect(await outside('100', 4)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'numberOfRepayments' });
  });

  it('a preview starts repaying at most two repayment periods after disbursement, as a booking does', async () => {
    const product = await created(base);
    expect((await previewOf(product['id'], '1000', { date: '2026-01-15', first: '2026-03-15' })).instalments[0]!.dueDate).toBe('2026-03-15');
    for (const first of ['2026-03-16', '2199-12-31', '2026-01-15']) {
      const refused = await gql(server.gateway, PREVIEW, { token: admin, variables: { id: product['id'], principal: '1000', date: '2026-01-15', first } });
      expect(refused.errors?.map((e) => e.extensions), first).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'firstRepaymentDate' })]);
    }
  });

  it('refuses bad terms naming the field, and writes nothing', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const written = async () => [await db.loanProduct.count(), await db.loanProductVersion.count(), await db.outboxEvent.count(), await db.auditRecord.count()];
    const before = await written();
    const refusals: [Record<string, unknown>, string, Record<string, unknown>?][] = [
      [{ annualRatePercent: '1000.01' }, 'input.terms.annualRatePercent'],
      [{ numberOfRepayments: 0 }, 'input.terms.numberOfRepayments'],
      [{ numberOfRepayments: 121 }, 'input.terms.numberOfRepayments'],
      [{ repaymentEvery: { every: 0, unit: 'WEEKS' } }, 'input.terms.repaymentEvery.every'],
      [{ amortization: { kind: 'INTEREST_ONLY' } }, 'input.terms.amortization.interestOnlyPeriods'],
      [{ amortization: { kind: 'INTEREST_ONLY', interestOnlyPeriods: -1 } }, 'input.terms.amortization.interestOnlyPeriods'],
      [{ daysInYear: 'ACTUAL', daysInMonth: 'DAYS_30' }, 'input.terms.daysInMonth'],
      [{ grace: { principalPeriods: 12 } }, 'input.terms.grace.principalPeriods'],
      [{ grace: { interestPeriods: -1 } }, 'input.terms.grace.interestPeriods'],
      [{ instalmentMultiple: '0' }, 'input.terms.instalmentMultiple'],
      [{ instalmentMultiple: '0.001' }, 'input.terms.instalmentMultiple'],
      [{ fees: { perInstalment: '-1' } }, 'input.terms.fees.perInstalment'],
      [{ fees: { perInstalment: '100000.01' } }, 'input.terms.fees.perInstalment'],
      [{ fees: { disbursement: { amount: '1.005', treatment: 'DEDUCTED' } } }, 'input.terms.fees.disbursement.amount'],
      [{ feesOnDates: [{ name: 'Fee', date: '2026-06-30', amount: '0' }] }, 'input.terms.feesOnDates[0].amount'],
      [{ lateFee: { kind: 'FIXED' } }, 'input.terms.lateFee.amount'],
      [{ lateFee: { kind: 'PERCENT_OF_OVERDUE', percent: '101' } }, 'input.terms.lateFee.percent'],
      [{ lateFee: { kind: 'FIXED', amount: '5', graceDays: 400 } }, 'input.terms.lateFee.graceDays'],
      [{ penaltyRatePercent: '1001' }, 'input.terms.penaltyRatePercent'],
      [{ underpaymentTolerance: '0.001' }, 'input.terms.underpaymentTolerance'],
      [{ allocation: { order: ['PENALTY', 'FEE'], strategy: 'DUE_DATE_FIRST', future: 'PAY_NEXT_INSTALMENTS', futureOrder: ['PRINCIPAL'] } }, 'input.terms.allocation.order'],
      [{ allocation: { order: ['PENALTY', 'FEE', 'INTEREST', 'PRINCIPAL'], strategy: 'DUE_DATE_FIRST', future: 'PAY_NEXT_INSTALMENTS', futureOrder: [] } }, 'input.terms.allocation.futureOrder'],
      [{}, 'input.limits.maxAmount', { limits: { ...LIMITS, minAmount: '5000', maxAmount: '1000' } }],
      [{}, 'input.limits.minAmount', { limits: { ...LIMITS, minAmount: '0' } }],
      [{}, 'input.limits.maxTenorMonths', { limits: { ...LIMITS, minTenorMonths: 24, maxTenorMonths: 12 } }],
      [{}, 'input.limits.minTenorMonths', { limits: { ...LIMITS, minTenorMonths: 0 } }],
      [{}, 'input.currency', { currency: 'XXQ' }],
      [{}, 'input.code', { code: 'bad code!' }],
      // A taken code asked for with another name (each request here names its product afresh): the name differs.
      [{}, 'input.name', { code: 'P-1' }],
      [{}, 'input.name', { name: ' ' }],
      [{}, 'input.accountMapping[0].account', { accountMapping: [{ role: 'CASH', account: 'NO-SUCH' }] }],
      [{}, 'input.accountMapping[1].account', { accountMapping: [{ role: 'CASH', account: '1000' }, { role: 'INTEREST_INCOME', account: '1110' }] }],
      [{}, 'input.accountMapping[0].account', { accountMapping: [{ role: 'PRINCIPAL_RECEIVABLE', account: '5100' }] }],
    ];
    for (const [terms, field, extra] of refusals) {
      const response = await create({ ...base, ...terms }, extra);
      expect(response.status).toBe(200);
      expect(userErrors(response, 'createLoanProduct').map((e) => e.field), JSON.stringify([terms, extra])).toEqual([field]);
      expect(response.data!['createLoanProduct'].loanProduct).toBeNull();
    }
    expect(await written()).toEqual(before);
    // A value outside a closed set is not even a valid request.
    const compound = await create({ ...base, interestType: 'COMPOUND' });
    expect(compound.errors?.length).toBeGreaterThan(0);
    expect(await written()).toEqual(before);
  });

  it('a product maps roles to its own accounts; only a tenant admin manages products', async () => {
    const product = await created(base, { accountMapping: [{ role: 'FEE_INCOME', account: '4100' }] });
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect((await db.loanProduct.findUniqueOrThrow({ where: { code: product['code'] } })).accountMapping).toEqual({ feeIncome: '4100' });
    const underwriter = await devToken(server.runtime, 'underwriter', tenant.slug);
    const forbidden = await gql(server.gateway, CREATE, { token: underwriter, variables: { input: { code: 'NOPE', name: 'Nope', currency: 'USD', terms: base, limits: LIMITS } } });
    expect(codes(forbidden)).toEqual(['FORBIDDEN']);
  });

  it('refuses a loan that would repay 10^15 or more in all, at preview and at booking, naming the principal; nothing is written', async () => {
    // 1,000 % a year over 12 months repays about 10 times the principal: just under 10^15 would repay about 10^16,
    // past what any amount column holds; 10^14 repays just over 10^15, past what the API's amounts promise.
    const product = await created({ annualRatePercent: '1000', numberOfRepayments: 12 }, { code: 'CEILING', limits: { ...LIMITS, maxAmount: '999999999999999', maxTenorMonths: 12 } });
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const loansBefore = await db.loan.count();
    const DISBURSE = `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id principal } ${USER_ERRORS} } }`;
    for (const principal of ['999999999999999', '100000000000000']) {
      const preview = await gql(server.gateway, PREVIEW, { token: admin, variables: { id: product['id'], principal, date: '2026-01-15' } });
      expect(preview.errors, principal).toHaveLength(1);
      expect(preview.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'principal' });
      expect(preview.errors![0]!.message).toMatch(/would repay \d{16,17}(\.\d+)? USD in all \(.* USD of interest\): what a loan repays must be less than 10\^15/);
      const booked = await gql(server.gateway, DISBURSE, {
        token: admin, variables: { input: { idempotencyKey: `ceiling-${principal}`, productCode: 'CEILING', principal, disbursementDate: tenant.businessDate } },
      });
      expect(booked.errors, JSON.stringify(booked.errors)).toBeUndefined();
      expect(userErrors(booked, 'disburseLoan')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.principal', message: expect.stringContaining('must be less than 10^15') })]);
      expect(booked.data!['disburseLoan'].loan).toBeNull();
    }
    expect(await db.loan.count()).toBe(loansBefore);
    // Below the ceiling the same product previews.
    const plan = await previewOf(product['id'], '90000000000000');
    expect(plan.totalRepayable.lt('1e15')).toBe(true);
  });

  it('clones a product, with or without new terms, and retires one: booked loans carry on, new bookings are refused', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const source = await created({ ...base, amortization: { kind: 'EQUAL_PRINCIPAL' }, fees: { perInstalment: '3' } });
    const CLONE = `mutation($input: CloneLoanProductInput!) { cloneLoanProduct(input: $input) { loanProduct { ${PRODUCT} } ${USER_ERRORS} } }`;
    const copy = await gql(server.gateway, CLONE, { token: admin, variables: { input: { fromCode: source['code'], code: 'COPY', name: 'Copy' } } });
    expect(userErrors(copy, 'cloneLoanProduct')).toEqual([]);
    const clone = copy.data!['cloneLoanProduct'].loanProduct;
    expect(clone).toMatchObject({ code: 'COPY', name: 'Copy', minAmount: source['minAmount'], maxTenorMonths: source['maxTenorMonths'], currentTerms: source['currentTerms'] });
    expect(await previewOf(clone['id'], '10000')).toEqual(await previewOf(source['id'], '10000'));
    const weekly = await gql(server.gateway, CLONE, {
      token: admin,
      variables: { input: { fromCode: source['code'], code: 'COPY-WEEKLY', name: 'Weekly copy', terms: { ...base, repaymentEvery: { every: 1, unit: 'WEEKS' } }, limits: { ...LIMITS, maxAmount: '2000' } } },
    });
    expect(userErrors(weekly, 'cloneLoanProduct')).toEqual([]);
    expect(weekly.data!['cloneLoanProduct'].loanProduct).toMatchObject({ maxAmount: '2000.00 USD', currentTerms: { repaymentUnit: 'WEEKS', amortization: 'EQUAL_INSTALMENTS' } });
    const taken = await gql(server.gateway, CLONE, { token: admin, variables: { input: { fromCode: source['code'], code: 'COPY', name: 'Again' } } });
    expect(userErrors(taken, 'cloneLoanProduct')).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.name', message: 'loan product COPY already exists with a different name' })]);
    const badClone = await gql(server.gateway, CLONE, { token: admin, variables: { input: { fromCode: source['code'], code: 'COPY-BAD', name: 'Bad', terms: { ...base, grace: { principalPeriods: 99 } } } } });
    expect(userErrors(badClone, 'cloneLoanProduct')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.terms.grace.principalPeriods' })]);

    // A loan is booked on the created product.
    const DISBURSE = `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id principal } ${USER_ERRORS} } }`;
    const disburse = (key: string) => gql(server.gateway, DISBURSE, {
      token: admin, variables: { input: { idempotencyKey: key, productCode: 'COPY', principal: '6000', disbursementDate: tenant.businessDate } },
    });
    const booked = await disburse('setup-loan-1');
    expect(userErrors(booked, 'disburseLoan')).toEqual([]);
    expect(booked.data!['disburseLoan'].loan.principal).toBe('6000.00 USD');

    const RETIRE = `mutation($input: RetireLoanProductInput!) { retireLoanProduct(input: $input) { loanProduct { code retiredAt } ${USER_ERRORS} } }`;
    const retired = await gql(server.gateway, RETIRE, { token: admin, variables: { input: { code: 'COPY' } } });
    expect(userErrors(retired, 'retireLoanProduct')).toEqual([]);
    expect(retired.data!['retireLoanProduct'].loanProduct.retiredAt).toEqual(expect.any(String));
    const again = await gql(server.gateway, RETIRE, { token: admin, variables: { input: { code: 'COPY' } } });
    expect(userErrors(again, 'retireLoanProduct')).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.code' })]);
    const refused = await disburse('setup-loan-2');
    expect(userErrors(refused, 'disburseLoan')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.productCode' })]);
    const application = await gql(server.gateway, `mutation { createApplication(input: { idempotencyKey: "setup-application", productCode: "COPY", amount: "5000", numberOfRepayments: 12,
      purpose: "a new kitchen", applicant: { kind: PERSON, legalName: "Ada Example", identifiers: [{ kind: NATIONAL_ID, country: "US", value: "123-45-6789" }] } }) { application { id } ${USER_ERRORS} } }`, { token: admin });
    expect(userErrors(application, 'createApplication')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.productCode' })]);
    const revise = await gql(server.gateway, `mutation { reviseLoanProductTerms(input: { code: "COPY", annualRatePercent: "9" }) { loanProduct { code } ${USER_ERRORS} } }`, { token: admin });
    expect(userErrors(revise, 'reviseLoanProductTerms')).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.code' })]);
    // The loan booked before carries on with its terms.
    const loan = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Loan { id principal } } }`, { token: admin, variables: { id: booked.data!['disburseLoan'].loan.id } });
    expect(loan.data!['node']).toEqual(booked.data!['disburseLoan'].loan);
    expect(await db.loan.count()).toBe(1);
    // A retired product may still be the source of a new one.
    const revived = await gql(server.gateway, CLONE, { token: admin, variables: { input: { fromCode: 'COPY', code: 'COPY-2', name: 'Copy again' } } });
    expect(userErrors(revived, 'cloneLoanProduct')).toEqual([]);
    expect(revived.data!['cloneLoanProduct'].loanProduct.retiredAt).toBeNull();

    // Each change is audited and announced.
    const events = await db.outboxEvent.findMany({ where: { type: { startsWith: 'loanProduct.' } } });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['loanProduct.created', 'loanProduct.cloned', 'loanProduct.retired']));
    expect(events.filter((e) => e.type === 'loanProduct.cloned').map((e) => e.payload)).toContainEqual(expect.objectContaining({ code: 'COPY', fromCode: source['code'], fromVersion: 1 }));
    const audits = await db.auditRecord.findMany({ where: { action: { in: ['loanProduct.create', 'loanProduct.clone', 'loanProduct.retire'] } } });
    expect(new Set(audits.map((a) => a.action))).toEqual(new Set(['loanProduct.create', 'loanProduct.clone', 'loanProduct.retire']));
  });
});
