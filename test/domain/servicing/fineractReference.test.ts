// Schedules a lender migrating from Apache Fineract recognises: Fineract's own published expectations, each
// reproduced to the cent under the loan terms that map its product (docs/decisions.md, "Fineract's
// conventions"). Every row cites where Fineract publishes it: the repository path in apache/fineract, the
// scenario (its TestRail id and title) or the unit test's name. Nothing here is recomputed by us: the amounts
// are Fineract's, copied from its tables ("16.6" written "16.60").
//
// How Fineract's settings map to loan terms:
// - "progressive" schedule (LP2_* products)      → levelInstalmentBasis: 'period-days'
// - "cumulative" schedule (LP1_* products)       → the default level instalment ('periodic-rate')
// - interest calculation DAILY                   → interestCalculation: 'per-day'
// - interest calculation SAME_AS_REPAYMENT_PERIOD → interestCalculation: 'per-repayment-period' (the default)
// - days in year ACTUAL, cumulative schedule     → daysInYear: 'fineract-cumulative-actual' (Fineract divides by 365)
// - days in year ACTUAL, progressive schedule    → daysInYear: 'fineract-progressive-actual' (Actual/Actual with
//                                                   the year boundary on 31 December)
// - days in month DAYS_30 with monthly periods   → daysInMonth: 30
// - days in month DAYS_30 with weekly or daily periods → daysInMonth: 'actual' (Fineract's 30-day month only
//                                                   touches monthly periods; a week is 7 days)
// - installmentAmountInMultiplesOf: 1            → instalmentMultiple: '1'; with it, equal principal parts take
//                                                   equalPrincipalRounding: 'minor-unit' and flat loans
//                                                   flatInstalmentRounding: 'principal-and-interest'
// - Fineract's rounding (MoneyHelper) is HALF_EVEN by default, as is Lendgraph's.
//
// The LP1 products' settings (installmentAmountInMultiplesOf 1, days in year ACTUAL, days in month ACTUAL) are in
// fineract-e2e-tests-core LoanProductsRequestFactory (defaultLoanProductsRequestLP1*, DAYS_IN_YEAR_TYPE =
// DaysInYearType.ACTUAL); the LP2_*_360_30 / _365_ACTUAL / _ACTUAL_ACTUAL products name their day count.
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../src/errors.js';
import { conventionName, yearFractionRatio } from '../../../src/domain/servicing/dayCount.js';
import { loanTerms, termsFromJson, termsToJson, type LoanTermsInput } from '../../../src/domain/servicing/product.js';
import { generateSchedule, type Schedule } from '../../../src/domain/servicing/schedule.js';

/** One instalment as Fineract prints it: due date, principal due, interest, due (principal + interest). */
type Row = [dueDate: string, principal: string, interest: string, total: string];

interface FineractCase {
  /** apache/fineract path — scenario or test name. */
  source: string;
  terms: LoanTermsInput;
  principal: string;
  disbursementDate: string;
  expected: Row[];
}

const EMI_FEATURE = 'fineract-e2e-tests-runner/src/test/resources/features/EMICalculation.feature';
const EMI_UNIT = 'fineract-progressive-loan/src/test/java/org/apache/fineract/portfolio/loanproduct/calc/ProgressiveEMICalculatorTest.java';
const GENERATOR_UNIT = 'fineract-progressive-loan/src/test/java/org/apache/fineract/portfolio/loanaccount/loanschedule/domain/LoanScheduleGeneratorTest.java';
/** The e2e Loan feature as it held the RS01–RS05 scenarios; their TestRail ids name them wherever they move. */
const LOAN_FEATURE = 'fineract-e2e-tests-runner/src/test/resources/features/Loan.feature';
const TERMS_SOURCE = 'fineract-loan/src/main/java/org/apache/fineract/portfolio/loanaccount/loanschedule/domain/LoanApplicationTerms.java';

/** Fineract's LP2 progressive products with 360/30 and daily interest. */
const progressive360: Partial<LoanTermsInput> = { interestCalculation: 'per-day', daysInYear: 360, daysInMonth: 30, levelInstalmentBasis: 'period-days' };
/** Fineract's LP2 progressive products with 365/Actual and daily interest. */
const progressive365: Partial<LoanTermsInput> = { interestCalculation: 'per-day', daysInYear: 365, daysInMonth: 'actual', levelInstalmentBasis: 'period-days' };
/** Fineract's LP2 progressive products with Actual/Actual and daily interest. */
const progressiveActual: Partial<LoanTermsInput> = { interestCalculation: 'per-day', daysInYear: 'fineract-progressive-actual', levelInstalmentBasis: 'period-days' };
/** Fineract's LP1 cumulative products: whole-unit instalments, Fineract's rounding of equal principal and flat parts. */
const cumulativeLp1: Partial<LoanTermsInput> = { instalmentMultiple: '1', equalPrincipalRounding: 'minor-unit', flatInstalmentRounding: 'principal-and-interest' };

/** The first of each month from `first`, `count` of them (Fineract's tables list them). */
function firstOfMonths(first: string, count: number): string[] {
  const [year, month] = first.split('-').map(Number) as [number, number];
  return Array.from({ length: count }, (_, k) => {
    const m = month - 1 + k;
    return `${year + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}-01`;
  });
}

/** Rows from due dates and "principal interest total" triples. */
function rows(dates: string[], amounts: string): Row[] {
  const triples = amounts.trim().split(/\s*,\s*/).map((t) => t.split(/\s+/) as [string, string, string]);
  expect(triples).toHaveLength(dates.length);
  return triples.map(([p, i, t], k) => [dates[k]!, p, i, t]);
}

function printed(schedule: Schedule): Row[] {
  return schedule.instalments.map((i) => [i.dueDate, i.principal.toFixed(2), i.interest.toFixed(2), i.total.toFixed(2)]);
}

const cases: FineractCase[] = [
  {
    source: `${EMI_FEATURE} — C3154 "EMI calculation with 360/30 setup - integer"`,
    terms: { currency: 'EUR', annualRatePercent: '12', numberOfRepayments: 6, ...progressive360 },
    principal: '100', disbursementDate: '2024-01-01',
    expected: rows(firstOfMonths('2024-02-01', 6), '16.25 1.00 17.25, 16.41 0.84 17.25, 16.58 0.67 17.25, 16.74 0.51 17.25, 16.91 0.34 17.25, 17.11 0.17 17.28'),
  },
  {
    source: `${EMI_FEATURE} — C3155 "EMI calculation with 360/30 setup - decimal"; ${EMI_UNIT} — test_disbursedAmt100_dayInYears360_daysInMonth30_repayEvery1Month`,
    terms: { currency: 'EUR', annualRatePercent: '9.4822', numberOfRepayments: 6, ...progressive360 },
    principal: '100', disbursementDate: '2024-01-01',
    expected: rows(firstOfMonths('2024-02-01', 6), '16.34 0.79 17.13, 16.47 0.66 17.13, 16.60 0.53 17.13, 16.73 0.40 17.13, 16.86 0.27 17.13, 17.00 0.13 17.13'),
  },
  {
    // A small amount over a short tenor, where Fineract evens the instalment out (15.46 → 15.47).
    source: `${EMI_FEATURE} — C3165 "EMI calculation with 360/30 setup - decimal - iterate"`,
    terms: { currency: 'EUR', annualRatePercent: '12.3', numberOfRepayments: 5, ...progressive360 },
    principal: '75', disbursementDate: '2024-01-01',
    expected: rows(firstOfMonths('2024-02-01', 5), '14.70 0.77 15.47, 14.85 0.62 15.47, 15.00 0.47 15.47, 15.16 0.31 15.47, 15.29 0.16 15.45'),
  },
  {
    source: `${EMI_FEATURE} — C3157 "EMI calculation with 360/30 setup - integer - repayment every 2 months"`,
    terms: { currency: 'EUR', annualRatePercent: '12', numberOfRepayments: 3, repaymentEvery: { every: 2, unit: 'months' }, ...progressive360 },
    principal: '100', disbursementDate: '2024-01-01',
    expected: rows(['2024-03-01', '2024-05-01', '2024-07-01'], '32.68 2.00 34.68, 33.33 1.35 34.68, 33.99 0.68 34.67'),
  },
  {
    // Weekly: Fineract's 30-day month leaves a two-week period at 14 days, which is Lendgraph's Actual/360.
    source: `${EMI_FEATURE} — C3158 "EMI calculation with 360/30 setup - decimal - repayment every 2 weeks"`,
    terms: { currency: 'EUR', annualRatePercent: '9.4822', numberOfRepayments: 6, repaymentEvery: { every: 2, unit: 'weeks' }, ...progressive360, daysInMonth: 'actual' },
    principal: '100', disbursementDate: '2024-01-01',
    expected: rows(
      ['2024-01-15', '2024-01-29', '2024-02-12', '2024-02-26', '2024-03-11', '2024-03-25'],
      '16.51 0.37 16.88, 16.57 0.31 16.88, 16.63 0.25 16.88, 16.69 0.19 16.88, 16.76 0.12 16.88, 16.84 0.06 16.90',
    ),
  },
  {
    source: `${EMI_FEATURE} — C3159 "EMI calculation with 365/Actual setup - integer"`,
    terms: { currency: 'EUR', annualRatePercent: '12', numberOfRepayments: 6, ...progressive365 },
    principal: '100', disbursementDate: '2024-01-01',
    expected: rows(firstOfMonths('2024-02-01', 6), '16.23 1.02 17.25, 16.45 0.80 17.25, 16.56 0.69 17.25, 16.75 0.50 17.25, 16.90 0.35 17.25, 17.11 0.17 17.28'),
  },
  {
    source: `${EMI_FEATURE} — C3160 "EMI calculation with 365/Actual setup - decimal"`,
    terms: { currency: 'EUR', annualRatePercent: '9.4822', numberOfRepayments: 6, ...progressive365 },
    principal: '100', disbursementDate: '2024-01-01',
    expected: rows(firstOfMonths('2024-02-01', 6), '16.32 0.81 17.13, 16.50 0.63 17.13, 16.59 0.54 17.13, 16.74 0.39 17.13, 16.86 0.27 17.13, 16.99 0.13 17.12'),
  },
  {
    // Daily frequency.
    source: `${EMI_FEATURE} — C3166 "EMI calculation with 365/Actual setup - decimal - iterate - repayment every 15 days"`,
    terms: { currency: 'EUR', annualRatePercent: '9.4822', numberOfRepayments: 6, repaymentEvery: { every: 15, unit: 'days' }, ...progressive365 },
    principal: '100', disbursementDate: '2024-01-01',
    expected: rows(
      ['2024-01-16', '2024-01-31', '2024-02-15', '2024-03-01', '2024-03-16', '2024-03-31'],
      '16.51 0.39 16.90, 16.57 0.33 16.90, 16.64 0.26 16.90, 16.70 0.20 16.90, 16.77 0.13 16.90, 16.81 0.07 16.88',
    ),
  },
  {
    source: `${EMI_FEATURE} — C3167 "EMI calculation with 365/Actual setup - decimal - iterate but outcome is false positive, go with original EMI"; ${EMI_UNIT} — test_emiAdjustment_newCalculatedEmiNotBetterThanOriginal`,
    terms: { currency: 'EUR', annualRatePercent: '15.678', numberOfRepayments: 6, ...progressive365 },
    principal: '100', disbursementDate: '2024-01-01',
    expected: rows(firstOfMonths('2024-02-01', 6), '16.10 1.33 17.43, 16.38 1.05 17.43, 16.53 0.90 17.43, 16.77 0.66 17.43, 16.97 0.46 17.43, 17.25 0.22 17.47'),
  },
  {
    // Actual/Actual across a year end, a leap year after a common one: 19 days of 2023 at 1/365 and 12 at 1/366.
    source: `${EMI_FEATURE} — C3152 "EMI calculation with Actual/Actual setup - integer"`,
    terms: { currency: 'EUR', annualRatePercent: '12', numberOfRepayments: 6, ...progressiveActual },
    principal: '10000', disbursementDate: '2023-12-12',
    expected: rows(
      ['2024-01-12', '2024-02-12', '2024-03-12', '2024-04-12', '2024-05-12', '2024-06-12'],
      `1623.75 101.81 1725.56, 1640.42 85.14 1725.56, 1661.51 64.05 1725.56, 1673.98 51.58 1725.56, 1692.11 33.45 1725.56,
       1708.23 17.36 1725.59`,
    ),
  },
  {
    source: `${EMI_FEATURE} — C3153 "EMI calculation with Actual/Actual setup - decimal"`,
    terms: { currency: 'EUR', annualRatePercent: '9.4822', numberOfRepayments: 6, ...progressiveActual },
    principal: '10000', disbursementDate: '2023-12-12',
    expected: rows(
      ['2024-01-12', '2024-02-12', '2024-03-12', '2024-04-12', '2024-05-12', '2024-06-12'],
      `1632.67 80.45 1713.12, 1645.92 67.20 1713.12, 1662.62 50.50 1713.12, 1672.49 40.63 1713.12, 1686.80 26.32 1713.12,
       1699.50 13.65 1713.15`,
    ),
  },
  {
    // A small amount over five months, across the same year end.
    source: `${EMI_FEATURE} — C3164 "EMI calculation with Actual/Actual setup - decimal - iterate"`,
    terms: { currency: 'EUR', annualRatePercent: '10.65', numberOfRepayments: 5, ...progressiveActual },
    principal: '331.77', disbursementDate: '2023-12-12',
    expected: rows(
      ['2024-01-12', '2024-02-12', '2024-03-12', '2024-04-12', '2024-05-12'],
      '65.14 3.00 68.14, 65.73 2.41 68.14, 66.44 1.70 68.14, 66.93 1.21 68.14, 67.53 0.59 68.12',
    ),
  },
  {
    // What is left after a 25 % down payment: 75 over six months.
    source: `${GENERATOR_UNIT} — testGenerateLoanScheduleWithDownPayment`,
    terms: { currency: 'USD', annualRatePercent: '9.99', numberOfRepayments: 6, ...progressive360 },
    principal: '75', disbursementDate: '2024-01-01',
    expected: rows(firstOfMonths('2024-02-01', 6), '12.25 0.62 12.87, 12.35 0.52 12.87, 12.45 0.42 12.87, 12.55 0.32 12.87, 12.66 0.21 12.87, 12.74 0.11 12.85'),
  },
  {
    source: `${LOAN_FEATURE} — C2490 "RS01 - Repayment Schedule with interest type: flat, interest period: Same as payment period, amortization type: Equal installments"`,
    terms: { currency: 'EUR', annualRatePercent: '12', numberOfRepayments: 18, interestType: 'flat', ...cumulativeLp1 },
    principal: '5000', disbursementDate: '2022-11-01',
    expected: rows(firstOfMonths('2022-12-01', 18), `${'278.00 50.00 328.00, '.repeat(17)}274.00 50.00 324.00`),
  },
  {
    source: `${LOAN_FEATURE} — C2492 "RS02 - Repayment Schedule with interest type: Declining Balance, interest period: Same as payment period, amortization type: Equal installments"`,
    terms: { currency: 'EUR', annualRatePercent: '12', numberOfRepayments: 18, ...cumulativeLp1 },
    principal: '5000', disbursementDate: '2022-11-01',
    expected: rows(
      firstOfMonths('2022-12-01', 18),
      `255.00 50.00 305.00, 257.55 47.45 305.00, 260.13 44.87 305.00, 262.73 42.27 305.00, 265.35 39.65 305.00, 268.01 36.99 305.00,
       270.69 34.31 305.00, 273.39 31.61 305.00, 276.13 28.87 305.00, 278.89 26.11 305.00, 281.68 23.32 305.00, 284.50 20.50 305.00,
       287.34 17.66 305.00, 290.21 14.79 305.00, 293.12 11.88 305.00, 296.05 8.95 305.00, 299.01 5.99 305.00, 300.22 3.00 303.22`,
    ),
  },
  {
    // Daily interest over a leap February (29 days at 1/365 each): Fineract's "Actual" is a 365-day year.
    source: `${LOAN_FEATURE} — C2493 "RS03 - Repayment Schedule with interest type: Declining Balance, interest period: Daily, amortization type: Equal installments"`,
    terms: { currency: 'EUR', annualRatePercent: '12', numberOfRepayments: 18, interestCalculation: 'per-day', daysInYear: 'fineract-cumulative-actual', ...cumulativeLp1 },
    principal: '5000', disbursementDate: '2022-11-01',
    expected: rows(
      firstOfMonths('2022-12-01', 18),
      `255.68 49.32 305.00, 256.65 48.35 305.00, 259.26 45.74 305.00, 266.08 38.92 305.00, 264.62 40.38 305.00, 268.53 36.47 305.00,
       270.05 34.95 305.00, 273.84 31.16 305.00, 275.59 29.41 305.00, 278.40 26.60 305.00, 282.01 22.99 305.00, 284.11 20.89 305.00,
       287.59 17.41 305.00, 289.94 15.06 305.00, 292.90 12.10 305.00, 296.47 8.53 305.00, 298.90 6.10 305.00, 299.38 2.95 302.33`,
    ),
  },
  {
    // Equal principal with installmentAmountInMultiplesOf 1: the part stays 277.78, not 278.
    source: `${LOAN_FEATURE} — C2494 "RS04 - Repayment Schedule with interest type: Declining Balance, interest period: Same as payment period, amortization type: Equal principal payments"`,
    terms: { currency: 'EUR', annualRatePercent: '12', numberOfRepayments: 18, amortization: { kind: 'equal-principal' }, ...cumulativeLp1 },
    principal: '5000', disbursementDate: '2022-11-01',
    expected: rows(
      firstOfMonths('2022-12-01', 18),
      `277.78 50.00 327.78, 277.78 47.22 325.00, 277.78 44.44 322.22, 277.78 41.67 319.45, 277.78 38.89 316.67, 277.78 36.11 313.89,
       277.78 33.33 311.11, 277.78 30.56 308.34, 277.78 27.78 305.56, 277.78 25.00 302.78, 277.78 22.22 300.00, 277.78 19.44 297.22,
       277.78 16.67 294.45, 277.78 13.89 291.67, 277.78 11.11 288.89, 277.78 8.33 286.11, 277.78 5.56 283.34, 277.74 2.78 280.52`,
    ),
  },
  {
    source: `${LOAN_FEATURE} — C2495 "RS05 - Repayment Schedule with interest type: Declining Balance, interest period: Same as payment period, amortization type: Equal installments, Grace on principal payment"`,
    terms: { currency: 'EUR', annualRatePercent: '12', numberOfRepayments: 18, grace: { principalPeriods: 3 }, ...cumulativeLp1 },
    principal: '5000', disbursementDate: '2022-11-01',
    expected: rows(
      firstOfMonths('2022-12-01', 18),
      `0.00 50.00 50.00, 0.00 50.00 50.00, 0.00 50.00 50.00, 311.00 50.00 361.00, 314.11 46.89 361.00, 317.25 43.75 361.00,
       320.42 40.58 361.00, 323.63 37.37 361.00, 326.86 34.14 361.00, 330.13 30.87 361.00, 333.43 27.57 361.00, 336.77 24.23 361.00,
       340.14 20.86 361.00, 343.54 17.46 361.00, 346.97 14.03 361.00, 350.44 10.56 361.00, 353.95 7.05 361.00, 351.36 3.51 354.87`,
    ),
  },
  {
    // Flat with installmentAmountInMultiplesOf 1: 312.50 → 312 and 15.62 → 16, so principal 312 + 16 − 15.62.
    source: `fineract-e2e-tests-runner e2e Loan feature — C2961 "Verify that outstanding amounts are rounded correctly in case of: installmentAmountInMultiplesOf=1, interestType: FLAT, amortizationType: EQUAL_INSTALLMENTS"`,
    terms: { currency: 'EUR', annualRatePercent: '15', numberOfRepayments: 4, interestType: 'flat', ...cumulativeLp1 },
    principal: '1250', disbursementDate: '2023-09-01',
    expected: rows(['2023-10-01', '2023-11-01', '2023-12-01', '2024-01-01'], '312.38 15.62 328.00, 312.38 15.62 328.00, 312.38 15.62 328.00, 312.86 15.64 328.50'),
  },
  {
    source: `fineract-e2e-tests-runner e2e Loan feature — C2962 "Verify that outstanding amounts are rounded correctly in case of: installmentAmountInMultiplesOf=1, interestType: DECLINING_BALANCE, amortizationType: EQUAL_INSTALLMENTS"`,
    terms: { currency: 'EUR', annualRatePercent: '15', numberOfRepayments: 4, ...cumulativeLp1 },
    principal: '1250', disbursementDate: '2023-09-01',
    expected: rows(['2023-10-01', '2023-11-01', '2023-12-01', '2024-01-01'], '306.38 15.62 322.00, 310.20 11.80 322.00, 314.08 7.92 322.00, 319.34 3.99 323.33'),
  },
  {
    // Fineract's own worked example of its flat rounding, in the comment of calculateTotalPrincipalPerPeriodWithoutGrace:
    // "principalPerPeriod 416.67 -> 417 interestForThisInstallment 12.50 -> 13 ... 417 + 13 - 12.5 = 417.5 as
    // principal". 416.67 is 5,000 over 12 and 12.50 is 3 % flat a year on it over 12; rounding 12.50 up to 13 is
    // half-up (a tenant's MoneyHelper setting). The last row is Fineract's last-period adjustment (what is left).
    source: `${TERMS_SOURCE} — calculateTotalPrincipalPerPeriodWithoutGrace, the "Thinking is" example`,
    terms: { currency: 'USD', annualRatePercent: '3', numberOfRepayments: 12, interestType: 'flat', roundingMode: 'half-up', ...cumulativeLp1 },
    principal: '5000', disbursementDate: '2024-01-01',
    expected: rows(firstOfMonths('2024-02-01', 12), `${'417.50 12.50 430.00, '.repeat(11)}407.50 12.50 420.00`),
  },
];

describe("Apache Fineract's published schedules, to the cent", () => {
  it.each(cases.map((c) => [c.source, c] as const))('%s', (_source, c) => {
    const schedule = generateSchedule(loanTerms(c.terms), { principal: c.principal, disbursementDate: c.disbursementDate });
    expect(printed(schedule)).toEqual(c.expected);
    expect(schedule.totals.principal.toFixed(2)).toBe(Number(c.principal).toFixed(2));
  });
});

/** The same loan under Lendgraph's convention for the one option named, everything else as the Fineract case. */
function withoutOption(source: string, option: keyof LoanTermsInput): Schedule {
  const c = cases.find((k) => k.source.includes(source))!;
  const terms: LoanTermsInput = { ...c.terms };
  delete terms[option];
  return generateSchedule(loanTerms(terms), { principal: c.principal, disbursementDate: c.disbursementDate });
}

describe("each option changes the schedule where Fineract's convention differs from Lendgraph's", () => {
  it("levelInstalmentBasis: the annuity on rate / 12 gives 17.44 where Fineract's day-count EMI gives 17.43 (C3167)", () => {
    const lendgraph = withoutOption('C3167', 'levelInstalmentBasis');
    expect(lendgraph.levelAmount!.toFixed(2)).toBe('17.44');
    expect(printed(lendgraph).map((r) => r[3])).toEqual(['17.44', '17.44', '17.44', '17.44', '17.44', '17.40']);
  });

  it("levelInstalmentBasis: without Fineract's evening-out the small loan of C3165 pays 15.46 and a last 15.49", () => {
    const lendgraph = withoutOption('C3165', 'levelInstalmentBasis');
    expect(printed(lendgraph).map((r) => r[3])).toEqual(['15.46', '15.46', '15.46', '15.46', '15.49']);
  });

  it('levelInstalmentBasis: every 15 days, the periodic rate pays 16.89 where Fineract pays 16.90 (C3166)', () => {
    const lendgraph = withoutOption('C3166', 'levelInstalmentBasis');
    expect(printed(lendgraph).map((r) => r[3])).toEqual(['16.89', '16.89', '16.89', '16.89', '16.89', '16.93']);
  });

  it('equalPrincipalRounding: with the multiple applied the equal principal part is 278.00, not 277.78 (RS04)', () => {
    const lendgraph = withoutOption('RS04', 'equalPrincipalRounding');
    expect(lendgraph.levelAmount!.toFixed(2)).toBe('278.00');
    expect(printed(lendgraph)[0]).toEqual(['2022-12-01', '278.00', '50.00', '328.00']);
    expect(printed(lendgraph)[17]).toEqual(['2024-05-01', '274.00', '2.74', '276.74']);
  });

  it('flatInstalmentRounding: rounding the whole flat instalment gives 429.00, not 417 + 13 = 430.00 (LoanApplicationTerms example)', () => {
    const lendgraph = withoutOption('Thinking is', 'flatInstalmentRounding');
    expect(printed(lendgraph)[0]).toEqual(['2024-02-01', '416.50', '12.50', '429.00']);
    expect(printed(lendgraph)[11]).toEqual(['2025-01-01', '418.50', '12.50', '431.00']);
  });

  it("daysInYear: Actual/Actual (ISDA) weighs a leap February's days 1/366, so RS03 would earn 8.51 where Fineract's 'Actual' (365) earns 8.53", () => {
    const c = cases.find((k) => k.source.includes('RS03'))!;
    const isda = generateSchedule(loanTerms({ ...c.terms, daysInYear: 'actual' }), { principal: c.principal, disbursementDate: c.disbursementDate });
    expect(printed(isda)[15]).toEqual(['2024-03-01', '296.49', '8.51', '305.00']);
    expect(printed(isda)[17]).toEqual(['2024-05-01', '299.31', '2.94', '302.25']);
  });

  it("daysInYear: Actual/Actual (ISDA) counts 31 December 2023 in 2023, so C3153's first period earns 80.46 where Fineract's progressive 'Actual' earns 80.45", () => {
    const c = cases.find((k) => k.source.includes('C3153'))!;
    const isda = generateSchedule(loanTerms({ ...c.terms, daysInYear: 'actual' }), { principal: c.principal, disbursementDate: c.disbursementDate });
    expect(printed(isda)[0]).toEqual(['2024-01-12', '1632.67', '80.46', '1713.13']);
    expect(printed(isda)[5]).toEqual(['2024-06-12', '1699.46', '13.65', '1713.11']);
  });
});

describe('the options as loan terms', () => {
  const base: LoanTermsInput = { currency: 'EUR', annualRatePercent: '12', numberOfRepayments: 6 };

  it("absent, terms store and load exactly as before (Lendgraph's conventions)", () => {
    const stored = termsToJson(loanTerms(base));
    for (const key of ['levelInstalmentBasis', 'equalPrincipalRounding', 'flatInstalmentRounding']) expect(stored).not.toHaveProperty(key);
    expect(termsFromJson(stored)).toEqual(loanTerms(base));
  });

  it('named, they round-trip through stored JSON', () => {
    const terms = loanTerms({ ...base, daysInYear: 'fineract-progressive-actual', levelInstalmentBasis: 'period-days', equalPrincipalRounding: 'minor-unit', flatInstalmentRounding: 'principal-and-interest' });
    expect(termsToJson(terms)).toMatchObject({ daysInYear: 'fineract-progressive-actual', levelInstalmentBasis: 'period-days', equalPrincipalRounding: 'minor-unit', flatInstalmentRounding: 'principal-and-interest' });
    expect(termsFromJson(termsToJson(terms))).toEqual(terms);
  });

  it.each<[string, Record<string, unknown>]>([
    ['levelInstalmentBasis', { levelInstalmentBasis: 'actual-days' }],
    ['equalPrincipalRounding', { equalPrincipalRounding: 'multiples' }],
    ['flatInstalmentRounding', { flatInstalmentRounding: 'separately' }],
    ['daysInYear', { daysInYear: 366 }],
    ['daysInYear', { daysInYear: 'fineract' }],
  ])('refuses an unknown %s, naming the field', (field, extra) => {
    let caught: unknown;
    try {
      termsFromJson({ ...base, ...extra });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidField);
    expect((caught as InvalidField).field).toBe(field);
  });

  it("names Fineract's 'Actual' apart from Actual/Actual (ISDA)", () => {
    expect(conventionName({ daysInYear: 'actual', daysInMonth: 'actual' })).toBe('Actual/Actual (ISDA)');
    expect(conventionName({ daysInYear: 'fineract-cumulative-actual', daysInMonth: 'actual' })).toBe('Actual/365 (Fixed), Fineract cumulative "Actual"');
    expect(conventionName({ daysInYear: 'fineract-progressive-actual', daysInMonth: 'actual' })).toBe('Actual/Actual, Fineract progressive "Actual"');
    expect(conventionName({ daysInYear: 'fineract-cumulative-actual', daysInMonth: 30 })).toBe('30/365 (US)');
  });

  it("splits a year end at 31 December for Fineract's progressive 'Actual', at 1 January for ISDA", () => {
    // 12 Dec 2023 to 12 Jan 2024: Fineract 19/365 + 12/366, ISDA 20/365 + 11/366, both over 365 × 366.
    expect(yearFractionRatio('2023-12-12', '2024-01-12', { daysInYear: 'fineract-progressive-actual', daysInMonth: 'actual' })).toEqual({ numerator: 19 * 366 + 12 * 365, denominator: 365 * 366 });
    expect(yearFractionRatio('2023-12-12', '2024-01-12', { daysInYear: 'actual', daysInMonth: 'actual' })).toEqual({ numerator: 20 * 366 + 11 * 365, denominator: 365 * 366 });
    // Within one year the two agree.
    expect(yearFractionRatio('2024-03-01', '2024-04-01', { daysInYear: 'fineract-progressive-actual', daysInMonth: 'actual' })).toEqual({ numerator: 31 * 365, denominator: 365 * 366 });
    expect(() => yearFractionRatio('2024-01-01', '2024-02-01', { daysInYear: 'fineract-progressive-actual', daysInMonth: 30 })).toThrow(RangeError);
  });

  it("counts Fineract's cumulative 'Actual' year as 365 days, leap or not, where Actual/Actual (ISDA) takes 366", () => {
    expect(yearFractionRatio('2024-02-01', '2024-03-01', { daysInYear: 'fineract-cumulative-actual', daysInMonth: 'actual' })).toEqual({ numerator: 29, denominator: 365 });
    // ISDA: 29 days of a 366-day year, over 365 × 366.
    expect(yearFractionRatio('2024-02-01', '2024-03-01', { daysInYear: 'actual', daysInMonth: 'actual' })).toEqual({ numerator: 29 * 365, denominator: 365 * 366 });
  });
});
