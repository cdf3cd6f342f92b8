// Schedule invariants for any valid terms (fast-check): principal sums exactly to what was financed, balances
// never go negative and end at zero, every amount is in whole minor units, due dates strictly increase.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayNumber, formatDate, fromDayNumber, parseDate } from '../../../src/domain/calendar.js';
import { Decimal, minorUnits } from '../../../src/domain/money.js';
import type { DaysInMonth, DaysInYear } from '../../../src/domain/servicing/dayCount.js';
import { periodsAfter, type RepaymentFrequency } from '../../../src/domain/servicing/dueDates.js';
import { loanTerms, type Amortization, type LoanTerms, type LoanTermsInput } from '../../../src/domain/servicing/product.js';
import { generateSchedule, type Schedule, type ScheduleRequest } from '../../../src/domain/servicing/schedule.js';

const CURRENCIES = ['USD', 'EUR', 'INR', 'JPY', 'KRW', 'KWD', 'BHD'] as const;

const frequency: fc.Arbitrary<RepaymentFrequency> = fc.oneof(
  fc.record({ every: fc.integer({ min: 1, max: 12 }), unit: fc.constant('months' as const) }),
  fc.record({ every: fc.integer({ min: 1, max: 4 }), unit: fc.constant('weeks' as const) }),
  fc.record({ every: fc.integer({ min: 1, max: 90 }), unit: fc.constant('days' as const) }),
);

const dayCount: fc.Arbitrary<{ daysInYear: DaysInYear; daysInMonth: DaysInMonth; thirtyDayMonths?: 'us' | 'european' }> = fc.oneof(
  fc.record({ daysInYear: fc.constantFrom<DaysInYear>('actual', 360, 364, 365), daysInMonth: fc.constant<DaysInMonth>('actual') }),
  fc.record({ daysInYear: fc.constantFrom<DaysInYear>(360, 364, 365), daysInMonth: fc.constant<DaysInMonth>(30), thirtyDayMonths: fc.constantFrom('us' as const, 'european' as const) }),
);

const amounts = (currency: string, min: number, max: number) =>
  fc.integer({ min, max }).map((minor) => new Decimal(minor).div(new Decimal(10).pow(minorUnits(currency))).toString());

/** Random valid terms and loan: counts of grace and interest-only periods always leave principal to repay. */
const loan: fc.Arbitrary<{ terms: LoanTerms; request: ScheduleRequest }> = fc
  .record({
    currency: fc.constantFrom(...CURRENCIES),
    numberOfRepayments: fc.integer({ min: 1, max: 120 }),
    frequency,
    dayCount,
    ratePercentHundredths: fc.integer({ min: 0, max: 6000 }),
    interestType: fc.constantFrom('declining-balance' as const, 'flat' as const),
    amortization: fc.constantFrom('equal-instalments', 'equal-principal', 'bullet', 'interest-only'),
    then: fc.constantFrom('equal-instalments' as const, 'equal-principal' as const),
    interestCalculation: fc.constantFrom('per-repayment-period' as const, 'per-day' as const),
    roundingMode: fc.constantFrom('half-even' as const, 'half-up' as const, 'down' as const, 'up' as const),
    multipleOfMinorUnit: fc.constantFrom(1, 1, 5, 100),
    principalMinor: fc.integer({ min: 1, max: 2_000_000_000 }),
    graceSeed: fc.tuple(fc.nat(), fc.nat(), fc.nat()),
    feeMinor: fc.integer({ min: 0, max: 5_000 }),
    disbursementFee: fc.option(fc.record({ share: fc.integer({ min: 0, max: 99 }), treatment: fc.constantFrom('financed' as const, 'deducted' as const) })),
    disbursementDay: fc.integer({ min: dayNumber(parseDate('2000-01-01')), max: dayNumber(parseDate('2045-12-31')) }),
    firstRepaymentOffset: fc.option(fc.integer({ min: 1, max: 200 })),
  })
  .map((draw) => {
    const n = draw.numberOfRepayments;
    const [interestOnlySeed, principalGraceSeed, interestGraceSeed] = draw.graceSeed;
    const interestOnly = draw.amortization === 'interest-only' ? interestOnlySeed % n : 0;
    const principalGrace = draw.amortization === 'bullet' ? principalGraceSeed % n : principalGraceSeed % (n - interestOnly);
    const amortization: Amortization =
      draw.amortization === 'interest-only'
        ? { kind: 'interest-only', periods: interestOnly, then: draw.then }
        : { kind: draw.amortization as 'equal-instalments' | 'equal-principal' | 'bullet' };
    const scale = new Decimal(10).pow(minorUnits(draw.currency));
    const principal = new Decimal(draw.principalMinor).div(scale);
    const input: LoanTermsInput = {
      currency: draw.currency,
      annualRatePercent: new Decimal(draw.ratePercentHundredths).div(100),
      numberOfRepayments: n,
      repaymentEvery: draw.frequency,
      interestType: draw.interestType,
      amortization,
      interestCalculation: draw.interestCalculation,
      ...draw.dayCount,
      grace: { principalPeriods: principalGrace, interestPeriods: interestGraceSeed % n },
      instalmentMultiple: new Decimal(draw.multipleOfMinorUnit).div(scale),
      roundingMode: draw.roundingMode,
      fees: {
        perInstalment: new Decimal(draw.feeMinor).div(scale),
        disbursement: draw.disbursementFee
          ? { amount: principal.times(draw.disbursementFee.share).div(100).toDecimalPlaces(minorUnits(draw.currency), Decimal.ROUND_DOWN), treatment: draw.disbursementFee.treatment }
          : null,
      },
    };
    const disbursementDate = formatDate(fromDayNumber(draw.disbursementDay));
    const request: ScheduleRequest = { principal, disbursementDate };
    if (draw.firstRepaymentOffset !== null) request.firstRepaymentDate = formatDate(fromDayNumber(draw.disbursementDay + draw.firstRepaymentOffset));
    return { terms: loanTerms(input), request };
  });

function hasMinorUnits(amount: Decimal, places: number): boolean {
  return amount.decimalPlaces() <= places;
}

function check(predicate: (result: Schedule, terms: LoanTerms, request: ScheduleRequest) => void) {
  fc.assert(
    fc.property(loan, ({ terms, request }) => {
      predicate(generateSchedule(terms, request), terms, request);
    }),
    { numRuns: 300 },
  );
}

describe('schedule invariants for random valid terms', () => {
  it('principal sums exactly to the financed principal, and the totals are the sums of the instalments', () => {
    check((result) => {
      const sum = (pick: (i: Schedule['instalments'][number]) => Decimal) => result.instalments.reduce((total, i) => total.plus(pick(i)), new Decimal(0));
      expect(sum((i) => i.principal).eq(result.financedPrincipal)).toBe(true);
      expect(result.totals.principal.eq(result.financedPrincipal)).toBe(true);
      expect(result.totals.interest.eq(sum((i) => i.interest))).toBe(true);
      expect(result.totals.fee.eq(sum((i) => i.fee))).toBe(true);
      expect(result.totals.total.eq(sum((i) => i.total))).toBe(true);
      for (const i of result.instalments) expect(i.total.eq(i.principal.plus(i.interest).plus(i.fee).plus(i.penalty))).toBe(true);
    });
  });

  it('balances never go negative, fall by each instalment\'s principal and end at zero', () => {
    check((result) => {
      let balance = result.financedPrincipal;
      for (const i of result.instalments) {
        balance = balance.minus(i.principal);
        expect(i.outstandingPrincipal.eq(balance)).toBe(true);
        expect(i.outstandingPrincipal.isNegative()).toBe(false);
      }
      expect(result.instalments.at(-1)!.outstandingPrincipal.isZero()).toBe(true);
    });
  });

  it('every amount is in whole minor units of the currency and none is negative', () => {
    check((result) => {
      const places = minorUnits(result.currency);
      const offending = result.instalments.flatMap((i) =>
        [i.principal, i.interest, i.fee, i.penalty, i.total, i.outstandingPrincipal]
          .filter((amount) => !hasMinorUnits(amount, places) || amount.isNegative())
          .map((amount) => `#${i.number}: ${amount.toString()}`),
      );
      expect(offending).toEqual([]);
      expect(result.instalments.every((i) => i.penalty.isZero())).toBe(true);
      if (result.levelAmount) expect(hasMinorUnits(result.levelAmount, places)).toBe(true);
    });
  });

  it('due dates strictly increase from after disbursement, and each period starts where the last ended', () => {
    check((result, terms, request) => {
      expect(result.instalments).toHaveLength(terms.numberOfRepayments);
      let previous = request.disbursementDate;
      for (const i of result.instalments) {
        expect(i.fromDate).toBe(previous);
        expect(dayNumber(parseDate(i.dueDate))).toBeGreaterThan(dayNumber(parseDate(previous)));
        previous = i.dueDate;
      }
      if (!request.firstRepaymentDate) expect(result.instalments[0]!.dueDate).toBe(periodsAfter(request.disbursementDate, terms.repaymentEvery, 1));
      else expect(result.instalments[0]!.dueDate).toBe(request.firstRepaymentDate);
    });
  });

  it('repays no principal during interest-only and grace periods, and a bullet only at maturity', () => {
    check((result, terms) => {
      const free = terms.amortization.kind === 'bullet'
        ? terms.numberOfRepayments - 1
        : (terms.amortization.kind === 'interest-only' ? terms.amortization.periods : 0) + terms.grace.principalPeriods;
      result.instalments.slice(0, free).forEach((i) => expect(i.principal.isZero()).toBe(true));
    });
  });

  it('deferred interest moves interest later but never changes how much is charged on a declining balance', () => {
    fc.assert(
      fc.property(loan, ({ terms, request }) => {
        fc.pre(terms.interestType === 'declining-balance' && terms.grace.interestPeriods > 0);
        const without = generateSchedule({ ...terms, grace: { ...terms.grace, interestPeriods: 0 } }, request);
        const withGrace = generateSchedule(terms, request);
        expect(withGrace.totals.interest.eq(without.totals.interest)).toBe(true);
        withGrace.instalments.slice(0, terms.grace.interestPeriods).forEach((i) => expect(i.interest.isZero()).toBe(true));
      }),
      { numRuns: 200 },
    );
  });
});
