// Regulatory classification, case by case, against the texts it follows:
// - Reserve Bank of India, "Prudential norms on Income Recognition, Asset Classification and Provisioning
//   pertaining to Advances – Clarifications", circular DOR.STR.REC.68/21.04.048/2021-22 of 12 November 2021: its
//   worked example (a due date of 31 March 2021 left unpaid: overdue on 31 March, SMA-1 at day-end on 30 April,
//   SMA-2 at day-end on 30 May, NPA at day-end on 29 June 2021) and its rule that an NPA is upgraded to standard
//   only when the entire arrears of interest and principal are paid.
// - Reserve Bank of India, Master Circular "Prudential norms on Income Recognition, Asset Classification and
//   Provisioning pertaining to Advances": NPA when overdue more than 90 days; sub-standard for up to 12 months as
//   NPA, then doubtful (up to one year, one to three years, more than three years); loss when identified;
//   classification borrower-wise, not facility-wise.
// - Reserve Bank of India, "Prudential Framework for Resolution of Stressed Assets" (7 June 2019): SMA-0 up to
//   30 days, SMA-1 31–60 days, SMA-2 61–90 days.
// - FFIEC, "Uniform Retail Credit Classification and Account Management Policy" (2000): closed-end retail loans
//   substandard at 90 cumulative days past due, charged off at 120.
//
// Lendgraph's count (EOD.md): a run to business date N is the close of day N−1, and DPD at N = N − the oldest
// unpaid due date. RBI's day-end of 30 April is Lendgraph's run to 1 May, with 1 May − 31 March = 31 DPD.
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../src/errors.js';
import { Decimal } from '../../../src/domain/money.js';
import {
  assertValidParameters, carriedClass, chargeOffDue, classesOf, classify, daysPastDueOf, defaultParameters, isNonAccrual, nonAccrualRule, suspenseFor,
  wholeMonths, worstClass, type ClassificationPolicy, type ClassState, type Regime,
} from '../../../src/domain/servicing/classification.js';

const RBI: ClassificationPolicy = { regime: 'RBI_IRAC', parameters: defaultParameters('RBI_IRAC') };
const US: ClassificationPolicy = { regime: 'US_CHARGE_OFF', parameters: defaultParameters('US_CHARGE_OFF') };
const FRESH: ClassState = { ownClass: 'STANDARD', npaSince: null, classSince: null };

describe('RBI\'s worked example (circular of 12 November 2021)', () => {
  const dueDate = '2021-03-31';
  // [Lendgraph business date, what RBI's text says of the day-end before it, expected DPD, class, npaSince]
  const walk: [string, string, number, string, string | null][] = [
    ['2021-03-31', 'the due date itself, before its day-end: not yet overdue', 0, 'STANDARD', null],
    ['2021-04-01', 'day-end 31 March: overdue since 31 March', 1, 'SMA_0', null],
    ['2021-04-30', 'day-end 29 April: 30 days, still SMA-0', 30, 'SMA_0', null],
    ['2021-05-01', 'day-end 30 April: SMA-1', 31, 'SMA_1', null],
    ['2021-05-30', 'day-end 29 May: still SMA-1', 60, 'SMA_1', null],
    ['2021-05-31', 'day-end 30 May: SMA-2', 61, 'SMA_2', null],
    ['2021-06-29', 'day-end 28 June: still SMA-2', 90, 'SMA_2', null],
    ['2021-06-30', 'day-end 29 June: NPA', 91, 'SUBSTANDARD', '2021-06-30'],
    ['2022-06-29', '11 whole months as NPA: still sub-standard', 455, 'SUBSTANDARD', '2021-06-30'],
    ['2022-06-30', 'sub-standard for 12 months: doubtful up to one year', 456, 'DOUBTFUL_1', '2021-06-30'],
    ['2023-06-30', 'doubtful for one year: one to three years', 821, 'DOUBTFUL_2', '2021-06-30'],
    ['2025-06-29', 'doubtful for almost three years', 1551, 'DOUBTFUL_2', '2021-06-30'],
    ['2025-06-30', 'doubtful for three years: more than three years', 1552, 'DOUBTFUL_3', '2021-06-30'],
    ['2035-06-30', 'loss is named when identified, never by age', 5204, 'DOUBTFUL_3', '2021-06-30'],
  ];
  let state: ClassState = FRESH;
  for (const [asOf, about, dpd, cls, npaSince] of walk) {
    it(`${asOf} (${about}): ${dpd} DPD, ${cls}`, () => {
      expect(daysPastDueOf(asOf > dueDate ? dueDate : null, asOf)).toBe(dpd);
      const next = classify(RBI, state, { daysPastDue: dpd }, asOf);
      expect(next.ownClass).toBe(cls);
      expect(next.npaSince).toBe(npaSince);
      // The class's date moves only when the class changes.
      expect(next.classSince).toBe(next.ownClass === state.ownClass && state.classSince !== null ? state.classSince : asOf);
      state = next;
    });
  }

  it('the dates each class began are the business dates after RBI\'s day-ends', () => {
    const since: Record<string, string> = {};
    let s: ClassState = FRESH;
    for (const [asOf, , dpd] of walk) {
      s = classify(RBI, s, { daysPastDue: dpd }, asOf);
      since[s.ownClass] ??= s.classSince!;
    }
    expect(since).toEqual({
      STANDARD: '2021-03-31', SMA_0: '2021-04-01', SMA_1: '2021-05-01', SMA_2: '2021-05-31', SUBSTANDARD: '2021-06-30',
      DOUBTFUL_1: '2022-06-30', DOUBTFUL_2: '2023-06-30', DOUBTFUL_3: '2025-06-30',
    });
  });
});

describe('a restructured account', () => {
  it('RBI: NPA from its restructure for the specified period, however it pays; then it follows its days past due', () => {
    const on = '2026-03-10';
    // A standard account restructured (its arrears capitalised, so current): SUBSTANDARD from the restructure.
    const day1 = classify(RBI, FRESH, { daysPastDue: 0, restructuredOn: on }, '2026-03-11');
    expect(day1).toEqual({ ownClass: 'SUBSTANDARD', npaSince: on, classSince: '2026-03-11' });
    // Paying on time all year it stays NPA, ageing like any NPA (DOUBTFUL_1 a year after it became NPA is not reached
    // inside the period).
    expect(classify(RBI, day1, { daysPastDue: 0, restructuredOn: on }, '2027-03-09')).toEqual(day1);
    // The period over (twelve whole months), current: STANDARD again.
    expect(classify(RBI, day1, { daysPastDue: 0, restructuredOn: on }, '2027-03-10')).toEqual({ ownClass: 'STANDARD', npaSince: null, classSince: '2027-03-10' });
    // Behind after the period: an NPA ageing from the restructure, as before.
    expect(classify(RBI, day1, { daysPastDue: 40, restructuredOn: on }, '2027-03-10')).toEqual({ ownClass: 'DOUBTFUL_1', npaSince: on, classSince: '2027-03-10' });
    // Already NPA when restructured: it keeps its NPA date.
    const npa: ClassState = { ownClass: 'SUBSTANDARD', npaSince: '2025-12-01', classSince: '2025-12-01' };
    expect(classify(RBI, npa, { daysPastDue: 0, restructuredOn: on }, '2026-03-11')).toEqual(npa);
  });

  it('US: the class follows days past due; the restructure is a fact of the loan, not a class', () => {
    expect(classify(US, FRESH, { daysPastDue: 0, restructuredOn: '2026-03-10' }, '2026-03-11')).toEqual({ ownClass: 'STANDARD', npaSince: null, classSince: '2026-03-11' });
  });
});

describe('RBI_IRAC: staying NPA and upgrading', () => {
  const npa: ClassState = { ownClass: 'SUBSTANDARD', npaSince: '2021-06-30', classSince: '2021-06-30' };

  it('an NPA partly paid stays NPA, its dates unchanged, while any arrears remain', () => {
    for (const dpd of [91, 60, 10, 1]) {
      expect(classify(RBI, npa, { daysPastDue: dpd }, '2021-08-01'), `${dpd} DPD`).toEqual(npa);
    }
  });

  it('it keeps ageing while any arrears remain', () => {
    expect(classify(RBI, npa, { daysPastDue: 5 }, '2022-06-30')).toEqual({ ownClass: 'DOUBTFUL_1', npaSince: '2021-06-30', classSince: '2022-06-30' });
  });

  it('is upgraded to STANDARD only when all arrears are paid (0 DPD), its NPA date cleared', () => {
    expect(classify(RBI, npa, { daysPastDue: 0 }, '2021-08-02')).toEqual({ ownClass: 'STANDARD', npaSince: null, classSince: '2021-08-02' });
    const doubtful: ClassState = { ownClass: 'DOUBTFUL_3', npaSince: '2017-01-01', classSince: '2021-01-01' };
    expect(classify(RBI, doubtful, { daysPastDue: 0 }, '2021-08-02')).toEqual({ ownClass: 'STANDARD', npaSince: null, classSince: '2021-08-02' });
  });

  it('SMA classes follow DPD both ways', () => {
    const sma2: ClassState = { ownClass: 'SMA_2', npaSince: null, classSince: '2021-05-31' };
    expect(classify(RBI, sma2, { daysPastDue: 45 }, '2021-06-10')).toEqual({ ownClass: 'SMA_1', npaSince: null, classSince: '2021-06-10' });
    expect(classify(RBI, sma2, { daysPastDue: 3 }, '2021-06-10')).toEqual({ ownClass: 'SMA_0', npaSince: null, classSince: '2021-06-10' });
    expect(classify(RBI, sma2, { daysPastDue: 0 }, '2021-06-10')).toEqual({ ownClass: 'STANDARD', npaSince: null, classSince: '2021-06-10' });
    expect(classify(RBI, sma2, { daysPastDue: 70 }, '2021-06-10')).toEqual(sma2);
  });

  it('a loan first classified long past 90 DPD is NPA from the date it crossed, and aged from there', () => {
    // 500 DPD on 2022-01-01: oldest due 2020-08-19; 91 DPD on 2020-11-18; 13 whole months since.
    expect(classify(RBI, FRESH, { daysPastDue: 500 }, '2022-01-01')).toEqual({ ownClass: 'DOUBTFUL_1', npaSince: '2020-11-18', classSince: '2022-01-01' });
  });

  it('moves only down by age: a slower policy later never lifts an NPA back up', () => {
    const slower: ClassificationPolicy = { regime: 'RBI_IRAC', parameters: { ...defaultParameters('RBI_IRAC'), doubtful2AfterMonths: 30, doubtful3AfterMonths: 60 } };
    const d2: ClassState = { ownClass: 'DOUBTFUL_2', npaSince: '2021-06-30', classSince: '2023-06-30' };
    expect(classify(slower, d2, { daysPastDue: 800 }, '2023-08-01')).toEqual(d2);
  });

  it('a lender\'s own age for LOSS', () => {
    const ownLoss: ClassificationPolicy = { regime: 'RBI_IRAC', parameters: { ...defaultParameters('RBI_IRAC'), lossAfterMonths: 60 } };
    const d3: ClassState = { ownClass: 'DOUBTFUL_3', npaSince: '2021-06-30', classSince: '2025-06-30' };
    expect(classify(ownLoss, d3, { daysPastDue: 1900 }, '2026-06-29').ownClass).toBe('DOUBTFUL_3');
    expect(classify(ownLoss, d3, { daysPastDue: 1901 }, '2026-06-30')).toEqual({ ownClass: 'LOSS', npaSince: '2021-06-30', classSince: '2026-06-30' });
  });

  it('a lender\'s own thresholds', () => {
    const stricter: ClassificationPolicy = { regime: 'RBI_IRAC', parameters: { ...defaultParameters('RBI_IRAC'), sma1AfterDays: 15, sma2AfterDays: 30, npaAfterDays: 60 } };
    expect([15, 16, 30, 31, 60].map((dpd) => classify(stricter, FRESH, { daysPastDue: dpd }, '2021-08-01').ownClass))
      .toEqual(['SMA_0', 'SMA_1', 'SMA_1', 'SMA_2', 'SMA_2']);
    expect(classify(stricter, FRESH, { daysPastDue: 61 }, '2021-08-01')).toEqual({ ownClass: 'SUBSTANDARD', npaSince: '2021-08-01', classSince: '2021-08-01' });
  });
});

describe('whole months as NPA', () => {
  const cases: [string, string, number][] = [
    ['2021-06-30', '2022-06-30', 12], ['2021-06-30', '2022-06-29', 11], ['2021-06-30', '2021-07-30', 1], ['2021-06-30', '2021-07-29', 0],
    ['2021-01-31', '2021-02-28', 1], ['2021-01-31', '2021-02-27', 0], ['2020-02-29', '2021-02-28', 12], ['2021-03-31', '2021-04-30', 1],
    ['2021-06-30', '2021-06-30', 0], ['2021-06-30', '2021-06-01', 0],
  ];
  for (const [from, to, months] of cases) {
    it(`${from} to ${to}: ${months}`, () => expect(wholeMonths(from, to)).toBe(months));
  }
});

describe('borrower level', () => {
  it('the worst class of a regime\'s classes, STANDARD for none', () => {
    expect(worstClass(RBI, ['SMA_0', 'DOUBTFUL_2', 'SUBSTANDARD'])).toBe('DOUBTFUL_2');
    expect(worstClass(RBI, ['SMA_1', 'SMA_0'])).toBe('SMA_1');
    expect(worstClass(RBI, [])).toBe('STANDARD');
    expect(worstClass(US, ['SUBSTANDARD', 'LOSS', 'STANDARD'])).toBe('LOSS');
    expect(() => worstClass(US, ['SMA_0'])).toThrow(RangeError);
  });

  it('IRAC: every loan of a borrower with an NPA is NPA; an SMA does not spread', () => {
    expect(carriedClass(RBI, 'STANDARD', ['STANDARD', 'SUBSTANDARD'])).toBe('SUBSTANDARD');
    expect(carriedClass(RBI, 'SMA_1', ['DOUBTFUL_1', 'SUBSTANDARD'])).toBe('DOUBTFUL_1');
    expect(carriedClass(RBI, 'STANDARD', ['SMA_2'])).toBe('STANDARD');
    expect(carriedClass(RBI, 'SMA_0', ['SMA_2'])).toBe('SMA_0');
    // Upgraded together: once every loan's own class is STANDARD (all arrears paid), all carry STANDARD.
    expect(carriedClass(RBI, 'STANDARD', ['STANDARD', 'STANDARD'])).toBe('STANDARD');
  });

  it('facility by facility when the policy says so', () => {
    const facility: ClassificationPolicy = { regime: 'RBI_IRAC', parameters: { ...defaultParameters('RBI_IRAC'), borrowerLevel: false } };
    expect(carriedClass(facility, 'STANDARD', ['LOSS'])).toBe('STANDARD');
    expect(carriedClass(US, 'STANDARD', ['LOSS'])).toBe('STANDARD');
    const usBorrower: ClassificationPolicy = { regime: 'US_CHARGE_OFF', parameters: { ...defaultParameters('US_CHARGE_OFF'), borrowerLevel: true } };
    expect(carriedClass(usBorrower, 'STANDARD', ['SUBSTANDARD'])).toBe('SUBSTANDARD');
  });
});

describe('US_CHARGE_OFF (FFIEC, closed-end retail)', () => {
  const cases: [number, string, string | null][] = [
    [0, 'STANDARD', null], [89, 'STANDARD', null], [90, 'SUBSTANDARD', '2024-03-01'], [91, 'SUBSTANDARD', '2024-02-29'],
    [119, 'SUBSTANDARD', '2024-02-01'], [120, 'LOSS', '2024-01-31'], [121, 'LOSS', '2024-01-30'],
  ];
  for (const [dpd, cls, npaSince] of cases) {
    it(`${dpd} cumulative days past due: ${cls}`, () => {
      expect(classify(US, FRESH, { daysPastDue: dpd }, '2024-03-01')).toEqual({ ownClass: cls, npaSince, classSince: '2024-03-01' });
    });
  }

  it('follows DPD both ways, keeping the date it became substandard while classified', () => {
    const loss: ClassState = { ownClass: 'LOSS', npaSince: '2024-01-01', classSince: '2024-01-31' };
    expect(classify(US, loss, { daysPastDue: 100 }, '2024-03-01')).toEqual({ ownClass: 'SUBSTANDARD', npaSince: '2024-01-01', classSince: '2024-03-01' });
    expect(classify(US, loss, { daysPastDue: 30 }, '2024-03-01')).toEqual({ ownClass: 'STANDARD', npaSince: null, classSince: '2024-03-01' });
  });

  it('open-end: a lender sets charge-off at 180', () => {
    const openEnd: ClassificationPolicy = { regime: 'US_CHARGE_OFF', parameters: { ...defaultParameters('US_CHARGE_OFF'), chargeOffAfterDays: 180 } };
    expect([120, 179, 180].map((dpd) => classify(openEnd, FRESH, { daysPastDue: dpd }, '2024-03-01').ownClass)).toEqual(['SUBSTANDARD', 'SUBSTANDARD', 'LOSS']);
  });
});

describe('income recognition and charge-off', () => {
  it('IRAC: every NPA class is non-accrual, no performing one', () => {
    expect(classesOf('RBI_IRAC').filter((cls) => isNonAccrual(RBI, cls))).toEqual(['SUBSTANDARD', 'DOUBTFUL_1', 'DOUBTFUL_2', 'DOUBTFUL_3', 'LOSS']);
  });

  it('US: SUBSTANDARD and LOSS by default; from nonAccrualAfterDays past due when the DPD is given', () => {
    expect(classesOf('US_CHARGE_OFF').filter((cls) => isNonAccrual(US, cls))).toEqual(['SUBSTANDARD', 'LOSS']);
    expect(isNonAccrual(US, 'STANDARD', 89)).toBe(false);
    expect(isNonAccrual(US, 'SUBSTANDARD', 90)).toBe(true);
    const earlier: ClassificationPolicy = { regime: 'US_CHARGE_OFF', parameters: { ...defaultParameters('US_CHARGE_OFF'), nonAccrualAfterDays: 60 } };
    expect(isNonAccrual(earlier, 'STANDARD', 59)).toBe(false);
    expect(isNonAccrual(earlier, 'STANDARD', 60)).toBe(true);
    const later: ClassificationPolicy = { regime: 'US_CHARGE_OFF', parameters: { ...defaultParameters('US_CHARGE_OFF'), nonAccrualAfterDays: 100 } };
    expect(isNonAccrual(later, 'SUBSTANDARD')).toBe(false);
    expect(isNonAccrual(later, 'SUBSTANDARD', 99)).toBe(false);
    expect(isNonAccrual(later, 'LOSS')).toBe(true);
  });

  it('the rule for many loans at once agrees with isNonAccrual for every class and DPD', () => {
    const earlier: ClassificationPolicy = { regime: 'US_CHARGE_OFF', parameters: { ...defaultParameters('US_CHARGE_OFF'), nonAccrualAfterDays: 60 } };
    expect(nonAccrualRule(RBI)).toEqual({ classes: ['SUBSTANDARD', 'DOUBTFUL_1', 'DOUBTFUL_2', 'DOUBTFUL_3', 'LOSS'], fromDaysPastDue: null });
    expect(nonAccrualRule(US)).toEqual({ classes: ['LOSS'], fromDaysPastDue: 90 });
    for (const policy of [RBI, US, earlier]) {
      const rule = nonAccrualRule(policy);
      for (const cls of classesOf(policy.regime)) {
        for (let dpd = 0; dpd <= 200; dpd += 1) {
          const byRule = (rule.classes as string[]).includes(cls) || (rule.fromDaysPastDue !== null && dpd >= rule.fromDaysPastDue);
          if (byRule !== isNonAccrual(policy, cls, dpd)) expect.fail(`${policy.regime} ${cls} at ${dpd} DPD`);
        }
      }
    }
  });

  it('charge-off is due in LOSS only', () => {
    expect(classesOf('RBI_IRAC').filter((cls) => chargeOffDue(RBI, cls))).toEqual(['LOSS']);
    expect(classesOf('US_CHARGE_OFF').filter((cls) => chargeOffDue(US, cls))).toEqual(['LOSS']);
  });

  it('suspense holds the whole interest receivable of a non-accrual loan, nothing of a performing one', () => {
    expect(suspenseFor(RBI, 'SUBSTANDARD', new Decimal('123.45')).toFixed()).toBe('123.45');
    expect(suspenseFor(RBI, 'SMA_2', new Decimal('123.45')).toFixed()).toBe('0');
    expect(suspenseFor(US, 'LOSS', new Decimal('0.01')).toFixed()).toBe('0.01');
    expect(suspenseFor(US, 'STANDARD', new Decimal('80'), 89).toFixed()).toBe('0');
    expect(suspenseFor(US, 'SUBSTANDARD', new Decimal('80'), 90).toFixed()).toBe('80');
  });

  it('a class of the other regime is refused', () => {
    expect(() => isNonAccrual(US, 'DOUBTFUL_1')).toThrow(RangeError);
    expect(() => chargeOffDue(US, 'SMA_0')).toThrow(RangeError);
  });
});

describe('assertValidParameters', () => {
  function refusal(regime: Regime, parameters: unknown): string | null {
    try {
      assertValidParameters(regime, parameters, 'parameters');
      return null;
    } catch (error) {
      if (!(error instanceof InvalidField)) throw error;
      return error.field;
    }
  }
  const rbi = defaultParameters('RBI_IRAC');
  const us = defaultParameters('US_CHARGE_OFF');

  it('takes each regime\'s defaults and a lender\'s age for loss', () => {
    expect(refusal('RBI_IRAC', rbi)).toBeNull();
    expect(refusal('US_CHARGE_OFF', us)).toBeNull();
    expect(refusal('RBI_IRAC', { ...rbi, lossAfterMonths: 49 })).toBeNull();
  });

  const cases: [string, Regime, unknown, string][] = [
    ['not an object', 'RBI_IRAC', [], 'parameters'],
    ['another regime\'s parameter', 'RBI_IRAC', { ...rbi, chargeOffAfterDays: 120 }, 'parameters.chargeOffAfterDays'],
    ['another regime\'s parameter (US)', 'US_CHARGE_OFF', { ...us, npaAfterDays: 90 }, 'parameters.npaAfterDays'],
    ['a missing one', 'RBI_IRAC', { ...rbi, npaAfterDays: undefined }, 'parameters.npaAfterDays'],
    ['a fraction', 'RBI_IRAC', { ...rbi, sma1AfterDays: 30.5 }, 'parameters.sma1AfterDays'],
    ['zero days', 'US_CHARGE_OFF', { ...us, substandardAfterDays: 0 }, 'parameters.substandardAfterDays'],
    ['SMA-2 before SMA-1', 'RBI_IRAC', { ...rbi, sma2AfterDays: 30 }, 'parameters.sma2AfterDays'],
    ['NPA before SMA-2', 'RBI_IRAC', { ...rbi, npaAfterDays: 60 }, 'parameters.npaAfterDays'],
    ['doubtful steps out of order', 'RBI_IRAC', { ...rbi, doubtful3AfterMonths: 24 }, 'parameters.doubtful3AfterMonths'],
    ['loss before doubtful 3', 'RBI_IRAC', { ...rbi, lossAfterMonths: 48 }, 'parameters.lossAfterMonths'],
    ['too many months', 'RBI_IRAC', { ...rbi, lossAfterMonths: 5000 }, 'parameters.lossAfterMonths'],
    ['charge-off before substandard', 'US_CHARGE_OFF', { ...us, chargeOffAfterDays: 90 }, 'parameters.chargeOffAfterDays'],
    ['non-accrual after charge-off', 'US_CHARGE_OFF', { ...us, nonAccrualAfterDays: 121 }, 'parameters.nonAccrualAfterDays'],
    ['borrower level as text', 'US_CHARGE_OFF', { ...us, borrowerLevel: 'yes' }, 'parameters.borrowerLevel'],
  ];
  for (const [name, regime, parameters, field] of cases) {
    it(`refuses ${name}, naming ${field}`, () => expect(refusal(regime, parameters)).toBe(field));
  }
});
