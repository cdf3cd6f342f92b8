// Loan terms: defaults, limits, and the rounding modes of the rounding points.
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../src/errors.js';
import { Decimal } from '../../../src/domain/money.js';
import { MAX_REPAYMENTS, assertAmountsWithinProduct, assertValidTerms, assertWithinProduct, loanTerms, minorUnit, principalFreePeriods, termsFromJson, termsToJson, type ProductLimits, type RoundingMode } from '../../../src/domain/servicing/product.js';
import { roundedQuotient } from '../../../src/domain/servicing/schedule.js';

describe('loan terms', () => {
  it('fills in the usual defaults', () => {
    const terms = loanTerms({ currency: 'JPY', annualRatePercent: '1.9', numberOfRepayments: 12 });
    expect(terms).toMatchObject({
      interestType: 'declining-balance',
      amortization: { kind: 'equal-instalments' },
      interestCalculation: 'per-repayment-period',
      repaymentEvery: { every: 1, unit: 'months' },
      daysInYear: 365,
      daysInMonth: 'actual',
      grace: { principalPeriods: 0, interestPeriods: 0 },
      roundingMode: 'half-even',
      fees: { disbursement: null },
    });
    expect(terms.annualRatePercent.toString()).toBe('1.9');
    expect(terms.instalmentMultiple.toString()).toBe('1');
    expect(terms.fees.perInstalment.isZero()).toBe(true);
    // Plain data, so that a loan can keep a copy: it survives JSON.
    expect(JSON.parse(JSON.stringify(terms))).toMatchObject({ currency: 'JPY', annualRatePercent: '1.9', instalmentMultiple: '1' });
  });

  it.each([
    ['USD', '0.01'],
    ['JPY', '1'],
    ['KWD', '0.001'],
  ])('the minor unit of %s is %s', (currency, unit) => {
    expect(minorUnit(currency).toString()).toBe(unit);
  });

  it('counts the instalments that repay no principal', () => {
    const base = { currency: 'USD', annualRatePercent: '10', numberOfRepayments: 12 };
    expect(principalFreePeriods(loanTerms(base))).toBe(0);
    expect(principalFreePeriods(loanTerms({ ...base, grace: { principalPeriods: 2 } }))).toBe(2);
    expect(principalFreePeriods(loanTerms({ ...base, amortization: { kind: 'interest-only', periods: 3, then: 'equal-principal' }, grace: { principalPeriods: 2 } }))).toBe(5);
    expect(principalFreePeriods(loanTerms({ ...base, amortization: { kind: 'bullet' } }))).toBe(11);
  });

  it('allows at most 1,200 instalments, the size the API counts a schedule at', () => {
    expect(MAX_REPAYMENTS).toBe(1_200);
    const base = { currency: 'USD', annualRatePercent: '10', repaymentEvery: { every: 1, unit: 'days' as const } };
    expect(() => assertValidTerms(loanTerms({ ...base, numberOfRepayments: 1_200 }))).not.toThrow();
    expect(() => assertValidTerms(loanTerms({ ...base, numberOfRepayments: 1_201 }))).toThrow(expect.objectContaining({ field: 'numberOfRepayments' }));
  });
});

describe('prepayment, tolerance and charge terms', () => {
  const base = { currency: 'USD', annualRatePercent: '10', numberOfRepayments: 12 };

  it('default to both prepayment choices, no tolerance and no charges by rule, and say so in the stored JSON', () => {
    expect(termsToJson(loanTerms(base))).toMatchObject({
      prepayment: { allowed: ['reduceInstalment', 'reduceTenor'] },
      underpaymentTolerance: '0',
      lateFee: null,
      penaltyRatePercent: '0',
      feesOnDates: [],
    });
  });

  it('terms stored before these existed still load, with the defaults', () => {
    const stored = termsToJson(loanTerms(base));
    for (const key of ['prepayment', 'underpaymentTolerance', 'lateFee', 'penaltyRatePercent', 'feesOnDates']) delete stored[key];
    expect(termsFromJson(stored)).toEqual(loanTerms(base));
  });

  it('round-trip through JSON', () => {
    const terms = loanTerms({
      ...base,
      prepayment: { allowed: ['reduceTenor'] },
      underpaymentTolerance: '1.00',
      lateFee: { kind: 'percentOfOverdue', percent: '2', graceDays: 5 },
      penaltyRatePercent: '24',
      feesOnDates: [{ date: '2027-01-01', amount: '20', name: 'Annual maintenance fee' }],
    });
    expect(termsToJson(terms)).toMatchObject({
      prepayment: { allowed: ['reduceTenor'] },
      underpaymentTolerance: '1',
      lateFee: { kind: 'percentOfOverdue', percent: '2', graceDays: 5 },
      penaltyRatePercent: '24',
      feesOnDates: [{ date: '2027-01-01', amount: '20', name: 'Annual maintenance fee' }],
    });
    expect(termsFromJson(termsToJson(terms))).toEqual(terms);
  });

  it.each<[string, Record<string, unknown>]>([
    ['prepayment.allowed', { prepayment: { allowed: ['reducePrincipal'] } }],
    ['underpaymentTolerance', { underpaymentTolerance: '-1' }],
    ['underpaymentTolerance', { underpaymentTolerance: '0.001' }],
    ['lateFee.graceDays', { lateFee: { kind: 'fixed', amount: '10', graceDays: -1 } }],
    ['lateFee.amount', { lateFee: { kind: 'fixed', amount: '-10' } }],
    ['lateFee.percent', { lateFee: { kind: 'percentOfOverdue', percent: '101' } }],
    ['penaltyRatePercent', { penaltyRatePercent: '-2' }],
    ['feesOnDates[0].date', { feesOnDates: [{ date: '2027-02-30', amount: '5', name: 'x' }] }],
    ['feesOnDates[0].amount', { feesOnDates: [{ date: '2027-02-01', amount: '0', name: 'x' }] }],
    ['feesOnDates[0].name', { feesOnDates: [{ date: '2027-02-01', amount: '5', name: ' ' }] }],
  ])('refuses a bad %s', (field, extra) => {
    let caught: unknown;
    try {
      termsFromJson({ ...base, ...extra });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidField);
    expect((caught as InvalidField).field).toBe(field);
  });
});

describe('rounding modes at a rounding point', () => {
  // numerator / denominator to a whole number of minor units; ties are exactly half.
  it.each([
    // 2.5, 3.5, 2.4, 2.6, 0.5, exact 3
    [25n, 10n, { 'half-even': 2n, 'half-up': 3n, down: 2n, up: 3n }],
    [35n, 10n, { 'half-even': 4n, 'half-up': 4n, down: 3n, up: 4n }],
    [24n, 10n, { 'half-even': 2n, 'half-up': 2n, down: 2n, up: 3n }],
    [26n, 10n, { 'half-even': 3n, 'half-up': 3n, down: 2n, up: 3n }],
    [1n, 2n, { 'half-even': 0n, 'half-up': 1n, down: 0n, up: 1n }],
    [9n, 3n, { 'half-even': 3n, 'half-up': 3n, down: 3n, up: 3n }],
    // 453.125 cents: the amortization-project tie of schedule.test.ts, exactly.
    // 15,000,000 cents × 3.625 % / 12 = 15,000,000 × 3625 / (1000 × 100 × 12).
    [150_000_00n * 3625n, 1_200_000n, { 'half-even': 45312n, 'half-up': 45313n, down: 45312n, up: 45313n }],
  ] as [bigint, bigint, Record<RoundingMode, bigint>][])('%s / %s', (numerator, denominator, expected) => {
    for (const mode of ['half-even', 'half-up', 'down', 'up'] as const) {
      expect(roundedQuotient(numerator, denominator, mode)).toBe(expected[mode]);
    }
  });
});

describe('amounts and rates within bounds', () => {
  it('refuses rates past 1000 % and amounts at 10^15', () => {
    const valid = (input: Parameters<typeof loanTerms>[0]) => () => assertValidTerms(loanTerms(input));
    expect(valid({ currency: 'USD', annualRatePercent: '1000.0001', numberOfRepayments: 12 })).toThrow(/annual rate/);
    expect(valid({ currency: 'USD', annualRatePercent: '1000', numberOfRepayments: 12 })).not.toThrow();
    expect(valid({ currency: 'USD', annualRatePercent: '10', numberOfRepayments: 12, fees: { perInstalment: '1e15' } })).toThrow(/instalment fee/);
    expect(valid({ currency: 'USD', annualRatePercent: '10', numberOfRepayments: 12, fees: { perInstalment: '1e39' } })).toThrow(/instalment fee/);
  });

  it('refuses fixed amounts larger than the product lends, naming them', () => {
    const terms = loanTerms({ currency: 'USD', annualRatePercent: '10', numberOfRepayments: 12, fees: { perInstalment: '50000.01' } });
    expect(() => assertAmountsWithinProduct(terms, new Decimal('50000'))).toThrow(expect.objectContaining({ field: 'fees.perInstalment' }));
    expect(() => assertAmountsWithinProduct(terms, new Decimal('50000.01'))).not.toThrow();
  });
});

describe('a loan against its product: the one rule for applications, bookings, offers and previews', () => {
  const limits: ProductLimits = {
    currency: 'USD', minPrincipal: new Decimal('1000'), maxPrincipal: new Decimal('50000'), minTenorMonths: 6, maxTenorMonths: 60,
    annualRatePercent: { min: new Decimal('8'), max: new Decimal('36') },
  };
  const monthly = { every: 1, unit: 'months' } as const;
  type Every = { every: number; unit: 'days' | 'weeks' | 'months' };
  const refusal = (principal: string, n: number, every: Every = monthly, rate?: string, on: ProductLimits = limits) => {
    try {
      assertWithinProduct(on, { principal: new Decimal(principal), numberOfRepayments: n, every, ...(rate === undefined ? {} : { annualRatePercent: new Decimal(rate) }) });
      return null;
    } catch (error) {
      return error instanceof InvalidField ? [error.field, error.message] : 'not InvalidField';
    }
  };
  const PRINCIPAL = ['principal', 'principal must be from 1000 to 50000 USD'];
  const TENOR = ['numberOfRepayments', 'the tenor must be from 6 to 60 months'];
  const RATE = ['annualRatePercent', 'the annual rate must be from 8 % to 36 %'];

  it.each([
    // [principal, repayments, every, rate, refusal]
    ['1000', 6, monthly, undefined, null],
    ['50000', 60, monthly, undefined, null],
    ['999.99', 12, monthly, undefined, PRINCIPAL],
    ['50000.01', 12, monthly, undefined, PRINCIPAL],
    ['1000.001', 12, monthly, undefined, ['principal', 'principal must be in whole minor units of USD']],
    ['5000', 5, monthly, undefined, TENOR],
    ['5000', 61, monthly, undefined, TENOR],
    ['5000', 0, monthly, undefined, TENOR],
    ['5000', 12.5, monthly, undefined, TENOR],
    // The tenor counts months for repayments every N months; weeks and days have no month limit.
    ['5000', 30, { every: 3, unit: 'months' }, undefined, TENOR],
    ['5000', 20, { every: 3, unit: 'months' }, undefined, null],
    ['5000', 520, { every: 1, unit: 'weeks' }, undefined, null],
    ['5000', 0, { every: 1, unit: 'weeks' }, undefined, TENOR],
    // A priced rate (an offer) within the band, at its ends, and past them.
    ['5000', 12, monthly, '8', null],
    ['5000', 12, monthly, '36', null],
    ['5000', 12, monthly, '7.99', RATE],
    ['5000', 12, monthly, '36.01', RATE],
    // The principal is checked first, then the tenor, then the rate.
    ['999.99', 5, monthly, '40', PRINCIPAL],
    ['5000', 5, monthly, '40', TENOR],
  ] as [string, number, Every, string | undefined, string[] | null][])('%s over %s repayments every %o at %s %% → %o', (principal, n, every, rate, expected) => {
    expect(refusal(principal, n, every, rate)).toEqual(expected);
  });

  it('a product without a rate band takes any rate; a loan without a rate of its own is not checked against one', () => {
    const { annualRatePercent: _band, ...unbanded } = limits;
    expect(refusal('5000', 12, monthly, '99', unbanded)).toBeNull();
    expect(refusal('5000', 12, monthly, undefined, limits)).toBeNull();
  });

  it('names the fields as the caller\'s input does', () => {
    expect(() => assertWithinProduct(limits, { principal: new Decimal('10'), numberOfRepayments: 12, every: monthly }, { principal: 'input.amount', numberOfRepayments: 'input.numberOfRepayments' }))
      .toThrow(expect.objectContaining({ field: 'input.amount', message: 'input.amount must be from 1000 to 50000 USD' }));
    expect(() => assertWithinProduct(limits, { principal: new Decimal('5000'), numberOfRepayments: 2, every: monthly }, { principal: 'input.amount', numberOfRepayments: 'input.numberOfRepayments' }))
      .toThrow(expect.objectContaining({ field: 'input.numberOfRepayments', message: 'the tenor must be from 6 to 60 months' }));
  });
});
