// APR: the published worked examples of both methods, every figure to its published rounding, then properties.
//
// EU: Directive 98/7/EC, Annex III "Examples of calculation", A (calendar basis), the examples of the APR equation
// that Directive 2008/48/EC Annex I keeps (OJ L 101, 1.4.1998, p. 17; text at
// https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:31998L0007). Each is a loan on 1 January 1994.
//
// US: Regulation Z, 12 CFR 1026 Appendix J, "(c) Examples for the actuarial method", each an advance in 1978
// (https://www.consumerfinance.gov/rules-policy/regulations/1026/j/). The figures are the appendix's; the dates of
// each payment stream are as the appendix states them (first payment date, then every unit period).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../src/errors.js';
import { addDays, addMonths, daysInMonth } from '../../../src/domain/calendar.js';
import { Decimal } from '../../../src/domain/money.js';
import { annualPercentageRate, scheduleCashFlows, usUnitPeriod, type CashFlow, type LoanCashFlows } from '../../../src/domain/origination/apr.js';
import { loanTerms } from '../../../src/domain/servicing/product.js';
import { annuityPayment, generateSchedule } from '../../../src/domain/servicing/schedule.js';

const eu = { kind: 'eu' } as const;

function euPercent(flows: LoanCashFlows, places: number, period: 'month' | 'week' | 'year' = 'month'): string {
  return annualPercentageRate(flows, { kind: 'eu', period }).percent.toDecimalPlaces(places, Decimal.ROUND_HALF_UP).toFixed(places);
}

describe('Directive 98/7/EC Annex III examples (annual effective rate)', () => {
  it('first example: 1,000 repaid by 1,200 on 1 July 1995, 546 days later: 13 % (12.96 % to two decimals)', () => {
    // 1000 = 1200 / (1 + i)^(546/365). 18 equal months would be 1.5 years and 12.92 %: the example counts days,
    // so its basis is whole years then days (the `year` period): 1 year + 181 days / 365.
    const flows = { drawdowns: [{ date: '1994-01-01', amount: '1000' }], repayments: [{ date: '1995-07-01', amount: '1200' }] };
    expect(euPercent(flows, 0, 'year')).toBe('13');
    expect(euPercent(flows, 2, 'year')).toBe('12.96');
    expect(annualPercentageRate(flows, { kind: 'eu', period: 'year' }).disclosed).toBe('13.0');
  });

  it('second example: the creditor keeps 50 of the 1,000 for expenses: 16.9 %', () => {
    // 950 = 1200 / (1 + i)^(546/365).
    const flows = { drawdowns: [{ date: '1994-01-01', amount: '950' }], repayments: [{ date: '1995-07-01', amount: '1200' }] };
    expect(euPercent(flows, 1, 'year')).toBe('16.9');
  });

  it('third example: 1,000 repaid by 600 after one and two years: i = 0.1306623, 13.1 % (13.07 %)', () => {
    const flows = {
      drawdowns: [{ date: '1994-01-01', amount: '1000' }],
      repayments: [
        { date: '1995-01-01', amount: '600' },
        { date: '1996-01-01', amount: '600' },
      ],
    };
    // By algebra i = 0.13066238…: the directive prints it cut at seven decimals, not rounded.
    const apr = annualPercentageRate(flows, eu);
    expect(apr.percent.div(100).toDecimalPlaces(7, Decimal.ROUND_DOWN).toString()).toBe('0.1306623');
    expect(apr.percent.toFixed(6)).toBe('13.066239');
    expect(apr.disclosed).toBe('13.1');
    expect(euPercent(flows, 2)).toBe('13.07');
    // Whole years, months or years-and-days: the same answer when the dates are whole years apart.
    expect(euPercent(flows, 6, 'year')).toBe(euPercent(flows, 6, 'month'));
  });
});

describe('Directive 2011/90/EU counting: equal periods back from each payment, then days over their year', () => {
  // No published example covers these; each APR was recomputed by bisection in Python `decimal` at 50 digits over
  // the times written next to the case.
  it('a long first period: 1,000 on 15 January 2024, 510 on 1 March and 1 April', () => {
    // 1 March: one month back to 1 February, then 17 days over the year ending 1 February 2024 (365): 1/12 + 17/365.
    // 1 April: 2/12 + 17/365. X = 12.241654 %.
    const flows = { drawdowns: [{ date: '2024-01-15', amount: '1000' }], repayments: [{ date: '2024-03-01', amount: '510' }, { date: '2024-04-01', amount: '510' }] };
    expect(euPercent(flows, 6)).toBe('12.241654');
  });

  it('days across 29 February count over a 366-day year', () => {
    // 20 February 2024 to 1 April: one month back to 1 March, then 10 days over the year ending 1 March 2024,
    // which holds 29 February (366): t = 1/12 + 10/366. 1000 = 1010 (1 + X)^−t: X = 9.408840 %.
    const flows = { drawdowns: [{ date: '2024-02-20', amount: '1000' }], repayments: [{ date: '2024-04-01', amount: '1010' }] };
    expect(euPercent(flows, 6)).toBe('9.408840');
  });

  it('weekly payments count in 52 weeks a year: a fee-free weekly annuity at 10 % is (1 + 0.10/52)^52 − 1 = 10.506479 %', () => {
    const rate = new Decimal('0.10').div(52);
    const payment = annuityPayment(new Decimal(1000), rate, 52);
    const flows = { drawdowns: [{ date: '2025-01-06', amount: '1000' }], repayments: weekly('2025-01-13', 52, payment.toString(), 1) };
    expect(euPercent(flows, 6, 'week')).toBe('10.506479');
  });
});

/** `count` payments of `amount`, the first on `first`, then every `every` months (counted from the first). */
function monthly(first: string, count: number, amount: string, every = 1): CashFlow[] {
  return Array.from({ length: count }, (_, k) => ({ date: addMonths(first, k * every), amount }));
}

function weekly(first: string, count: number, amount: string, weeks: number): CashFlow[] {
  return Array.from({ length: count }, (_, k) => ({ date: addDays(first, k * 7 * weeks), amount }));
}

function usApr(advance: CashFlow, repayments: CashFlow[], unitPeriod: { every: number; unit: 'months' | 'weeks' | 'days' }): string {
  return annualPercentageRate({ drawdowns: [advance], repayments }, { kind: 'us', unitPeriod }).disclosed;
}

describe('Regulation Z Appendix J (c) examples (actuarial method)', () => {
  const month = { every: 1, unit: 'months' } as const;

  it('(c)(1)(i) monthly payments, regular first period: 5,000, 24 × 230: 9.69 %', () => {
    expect(usApr({ date: '1978-01-10', amount: '5000' }, monthly('1978-02-10', 24, '230'), month)).toBe('9.69');
  });

  it('(c)(1)(ii) monthly payments, long first period: 6,000, 36 × 200, first 1 April: 11.82 %', () => {
    // Advance 10 February: t = 1 whole month back from 1 April to 1 March, f = 19 days / 30.
    expect(usApr({ date: '1978-02-10', amount: '6000' }, monthly('1978-04-01', 36, '200'), month)).toBe('11.82');
  });

  it('(c)(1)(iv) quarterly payments, long first period: 10,000, 40 × 385: 8.97 %', () => {
    // Advance 23 May, first payment 1 October: t = 1 quarter (to 1 July), f = (1 month + 9 days / 30) / 3.
    expect(usApr({ date: '1978-05-23', amount: '10000' }, monthly('1978-10-01', 40, '385', 3), { every: 3, unit: 'months' })).toBe('8.97');
  });

  it('(c)(1)(v) weekly payments, long first period: 500, 30 × 17.60: 14.96 %', () => {
    expect(usApr({ date: '1978-03-20', amount: '500' }, weekly('1978-04-21', 30, '17.60', 1), { every: 1, unit: 'weeks' })).toBe('14.96');
  });

  it('(c)(2)(i) monthly payments, irregular first payment: 5,000, 250 then 23 × 230: 10.08 %', () => {
    const repayments = [{ date: '1978-02-10', amount: '250' }, ...monthly('1978-03-10', 23, '230')];
    expect(usApr({ date: '1978-01-10', amount: '5000' }, repayments, month)).toBe('10.08');
  });

  it('(c)(2)(ii) payments every 4 weeks, long first period, irregular first payment: 400, 39.50 then 11 × 38.31: 28.50 %', () => {
    const repayments = [{ date: '1978-04-20', amount: '39.50' }, ...weekly('1978-05-18', 11, '38.31', 4)];
    expect(usApr({ date: '1978-03-18', amount: '400' }, repayments, { every: 4, unit: 'weeks' })).toBe('28.50');
  });

  it('(c)(3)(i) monthly payments, irregular final payment: 5,000, 23 × 230 then 280: 10.50 %', () => {
    const repayments = [...monthly('1978-02-10', 23, '230'), { date: '1980-01-10', amount: '280' }];
    expect(usApr({ date: '1978-01-10', amount: '5000' }, repayments, month)).toBe('10.50');
  });

  it('(c)(3)(ii) payments every 2 weeks, short first period, irregular final payment: 200, 19 × 9.50 then 30: 12.22 %', () => {
    const repayments = [...weekly('1978-04-11', 19, '9.50', 2), { date: addDays('1978-04-11', 14 * 19), amount: '30' }];
    expect(usApr({ date: '1978-04-03', amount: '200' }, repayments, { every: 2, unit: 'weeks' })).toBe('12.22');
  });

  it('(c)(4)(i) monthly payments, irregular first and final payments: 5,000, 250, 22 × 230, 280: 10.90 %', () => {
    const repayments = [{ date: '1978-02-10', amount: '250' }, ...monthly('1978-03-10', 22, '230'), { date: '1980-01-10', amount: '280' }];
    expect(usApr({ date: '1978-01-10', amount: '5000' }, repayments, month)).toBe('10.90');
  });

  it('(c)(4)(ii) payments every 2 months, short first period, irregular first and final payments: 8,000: 7.30 %', () => {
    const repayments = [{ date: '1978-03-01', amount: '449.36' }, ...monthly('1978-05-01', 18, '465', 2), { date: '1981-05-01', amount: '200' }];
    expect(usApr({ date: '1978-01-10', amount: '8000' }, repayments, { every: 2, unit: 'months' })).toBe('7.30');
  });

  it('(c)(5)(i) single advance, single payment, term in days: 1,000 on 3 January, 1,080 on 15 September: 11.45 %', () => {
    // The unit period is the term, 255 days: i = 0.08, APR = 0.08 × 365 / 255.
    expect(usApr({ date: '1978-01-03', amount: '1000' }, [{ date: '1978-09-15', amount: '1080' }], { every: 255, unit: 'days' })).toBe('11.45');
  });
});

describe('Regulation Z Appendix J unit periods beyond the payment interval ((b)(4), (b)(5)(iv) to (vii))', () => {
  const month = { every: 1, unit: 'months' } as const;

  it('a single advance repaid by a single payment takes the term as its unit period, whatever the payment interval', () => {
    // 45 days (15 January to 1 March): i = 14.79 / 1,000, APR = i × 365 / 45 = 11.996 %.
    expect(usApr({ date: '2026-01-15', amount: '1000' }, [{ date: '2026-03-01', amount: '1014.79' }], month)).toBe('12.00');
    // 17 days: i = 5.59 / 1,000, APR = i × 365 / 17 = 12.002 %.
    expect(usApr({ date: '2026-01-15', amount: '1000' }, [{ date: '2026-02-01', amount: '1005.59' }], month)).toBe('12.00');
    // Three whole months: the unit period is the term, 4 a year: i = 30 / 1,000, APR = 12 %.
    expect(usApr({ date: '2026-01-15', amount: '1000' }, [{ date: '2026-04-15', amount: '1030' }], month)).toBe('12.00');
    // More than a year: a yearly unit period, the part over a year its days over 365: 1,000 → 1,150 after 1 year
    // and 45 days solves 1,150 = 1,000 (1 + 45/365 · i)(1 + i), i = 13.1635 %.
    expect(usApr({ date: '2026-01-15', amount: '1000' }, [{ date: '2027-03-01', amount: '1150' }], month)).toBe('13.16');
  });

  it('a yearly unit period counts whole years back and the days left over in 365ths', () => {
    // 1,000 on 15 January 2026; 600 on 1 March 2027 and 2028: t = 1 and 2 years, f = 45/365 each, i = 11.9476 %.
    const repayments = [{ date: '2027-03-01', amount: '600' }, { date: '2028-03-01', amount: '600' }];
    expect(usApr({ date: '2026-01-15', amount: '1000' }, repayments, { every: 12, unit: 'months' })).toBe('11.95');
    // A payment interval longer than a year still has a unit period of one year.
    expect(usApr({ date: '2026-01-15', amount: '1000' }, repayments, { every: 24, unit: 'months' })).toBe('11.95');
  });

  it('a payment interval of days that makes whole weeks counts as weeks: 52 a year, not 365 / days', () => {
    const repayments = weekly('2026-01-15', 26, '86.10', 2);
    const advance = { date: '2026-01-01', amount: '2000' };
    expect(usApr(advance, repayments, { every: 14, unit: 'days' })).toBe(usApr(advance, repayments, { every: 2, unit: 'weeks' }));
    expect(usUnitPeriod('2026-01-01', 1, repayments.map((r) => r.date), { every: 14, unit: 'days' })).toEqual({ every: 2, unit: 'weeks' });
    expect(usUnitPeriod('2026-01-01', 1, repayments.map((r) => r.date), { every: 10, unit: 'days' })).toEqual({ every: 10, unit: 'days' });
    expect(usUnitPeriod('2026-01-01', 1, repayments.map((r) => r.date), { every: 60, unit: 'weeks' })).toEqual({ every: 12, unit: 'months' });
  });
});

describe('cash flows of a schedule', () => {
  it('takes what the borrower receives net of a deducted fee and every instalment with its fee', () => {
    // 1,000 over 12 months at 12 %: level 88.85 (PMT). A 50 fee deducted, 2.00 with every instalment.
    const terms = loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 12, fees: { perInstalment: '2.00', disbursement: { amount: '50.00', treatment: 'deducted' } } });
    const schedule = generateSchedule(terms, { principal: '1000.00', disbursementDate: '2025-01-15' });
    const flows = scheduleCashFlows(schedule, '2025-01-15', [{ date: '2025-07-15', amount: new Decimal('10.00') }]);
    expect(flows.drawdowns).toEqual([{ date: '2025-01-15', amount: new Decimal('950.00') }]);
    expect(flows.repayments).toHaveLength(13);
    expect(flows.repayments[0]).toEqual({ date: '2025-02-15', amount: new Decimal('90.85') });
    expect(flows.repayments[12]).toEqual({ date: '2025-07-15', amount: new Decimal('10.00') });
  });
});

describe('refusals', () => {
  const good = { drawdowns: [{ date: '2025-01-01', amount: '100' }], repayments: [{ date: '2025-02-01', amount: '101' }] };
  it.each([
    ['no drawdown', { ...good, drawdowns: [] }, 'drawdowns'],
    ['no repayment', { ...good, repayments: [] }, 'repayments'],
    ['a bad date', { ...good, repayments: [{ date: '2025-02-30', amount: '101' }] }, 'repayments[0].date'],
    ['a zero amount', { ...good, drawdowns: [{ date: '2025-01-01', amount: '0' }] }, 'drawdowns[0].amount'],
    ['a repayment before the money', { ...good, repayments: [{ date: '2024-12-01', amount: '101' }] }, 'repayments[0].date'],
  ] as [string, LoanCashFlows, string][])('%s', (_name, flows, field) => {
    expect(() => annualPercentageRate(flows, eu)).toThrow(InvalidField);
    expect(() => annualPercentageRate(flows, eu)).toThrow(expect.objectContaining({ field }) as unknown as Error);
  });

  it('solves a negative rate when less comes back than was lent, and refuses when nothing near it does', () => {
    expect(annualPercentageRate({ drawdowns: [{ date: '2025-01-01', amount: '100' }], repayments: [{ date: '2026-01-01', amount: '90' }] }, eu).disclosed).toBe('-10.0');
    expect(() => annualPercentageRate({ drawdowns: [{ date: '2025-01-01', amount: '100' }], repayments: [{ date: '2025-01-01', amount: '90' }] }, eu)).toThrow(InvalidField);
  });
});

describe('APR properties', () => {
  const loans = fc.record({
    rateHundredths: fc.integer({ min: 1, max: 4000 }),
    months: fc.integer({ min: 1, max: 60 }),
    principal: fc.integer({ min: 10_000, max: 5_000_000 }),
    day: fc.integer({ min: 1, max: 31 }),
    month: fc.integer({ min: 1, max: 12 }),
    year: fc.integer({ min: 2020, max: 2030 }),
  });

  /** A start date on any day, month ends included (the 29th–31st are cut to the month's last day). */
  const startOf = ({ year, month, day }: { year: number; month: number; day: number }) =>
    `${year}-${String(month).padStart(2, '0')}-${String(Math.min(day, daysInMonth(year, month))).padStart(2, '0')}`;

  it('equals the effective annual rate (EU) and the nominal rate (US) of a fee-free monthly annuity', () => {
    fc.assert(
      fc.property(loans, (loan) => {
        const { rateHundredths, months, principal } = loan;
        const rate = new Decimal(rateHundredths).div(10_000);
        const start = startOf(loan);
        const payment = annuityPayment(new Decimal(principal), rate.div(12), months);
        // Due dates as schedules make them: whole calendar months from the start, month ends kept (Jan 31, Feb 28, Mar 31).
        const repayments = Array.from({ length: months }, (_, k) => ({ date: addMonths(start, k + 1), amount: payment }));
        const flows = { drawdowns: [{ date: start, amount: new Decimal(principal) }], repayments };
        const effective = rate.div(12).plus(1).pow(12).minus(1).times(100);
        expect(annualPercentageRate(flows, eu).percent.minus(effective).abs().lt('1e-6')).toBe(true);
        const nominal = annualPercentageRate(flows, { kind: 'us', unitPeriod: { every: 1, unit: 'months' } }).percent;
        expect(nominal.minus(rate.times(100)).abs().lt('1e-6')).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('is above the nominal rate when fees are charged (a schedule with a deducted fee of 1 % or more)', () => {
    fc.assert(
      fc.property(loans, fc.integer({ min: 100, max: 1000 }), (loan, feeBasisPoints) => {
        const principal = new Decimal(loan.principal).div(100);
        const fee = principal.times(feeBasisPoints).div(10_000).toDecimalPlaces(2, Decimal.ROUND_UP);
        const rate = new Decimal(loan.rateHundredths).div(100);
        const terms = loanTerms({ currency: 'USD', annualRatePercent: rate, numberOfRepayments: loan.months, fees: { disbursement: { amount: fee, treatment: 'deducted' } } });
        const start = startOf(loan);
        const flows = scheduleCashFlows(generateSchedule(terms, { principal, disbursementDate: start }), start);
        expect(annualPercentageRate(flows, eu).percent.gt(rate)).toBe(true);
        expect(annualPercentageRate(flows, { kind: 'us', unitPeriod: { every: 1, unit: 'months' } }).percent.gt(rate)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
