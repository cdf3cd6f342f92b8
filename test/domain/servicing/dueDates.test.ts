// Due dates: month arithmetic, the month-end rule, frequencies, and short and long first periods.
import { describe, expect, it } from 'vitest';
import { addMonths, daysBetween } from '../../../src/domain/calendar.js';
import { assertFirstRepaymentDate, firstPeriodKind, latestFirstRepaymentDate, repaymentPeriods, type RepaymentFrequency } from '../../../src/domain/servicing/dueDates.js';

const MONTHLY: RepaymentFrequency = { every: 1, unit: 'months' };

function dueDates(frequency: RepaymentFrequency, disbursementDate: string, numberOfRepayments: number, firstRepaymentDate?: string) {
  return repaymentPeriods(frequency, { disbursementDate, firstRepaymentDate, numberOfRepayments }).periods.map((period) => period.dueDate);
}

describe('adding months to a date', () => {
  // Sources: the java.time rule (day kept, else the month's last valid day). Oracle, Java SE API,
  // LocalDate.plusMonths / minusMonths ("2007-03-31 plus one month … 2007-04-30"; "2007-03-31 minus one month …
  // 2007-02-28"), as mirrored at https://learn.microsoft.com/en-us/dotnet/api/java.time.localdate.plusmonths and
  // .../java.time.localdate.minusmonths; the worked list by java.time's author quoted at
  // https://blog.csdn.net/weixin_39969340/article/details/114859163; Time Machine's LocalDate.addMonths,
  // https://pub.dev/documentation/time_machine/latest/time_machine/LocalDate/addMonths.html.
  it.each([
    ['2007-03-31', 1, '2007-04-30'],
    ['2007-03-31', -1, '2007-02-28'],
    ['2011-01-15', 1, '2011-02-15'],
    ['2011-01-31', 1, '2011-02-28'],
    ['2012-01-31', 1, '2012-02-29'],
    ['2013-03-31', 1, '2013-04-30'],
    ['2013-10-31', 4, '2014-02-28'],
    ['2013-10-31', -4, '2013-06-30'],
    ['2011-01-30', 1, '2011-02-28'],
    ['2011-03-30', -1, '2011-02-28'],
  ])('%s %+i months is %s', (date, months, expected) => {
    expect(addMonths(date, months)).toBe(expected);
  });
});

describe('month-end rule: due dates count from one anchor and come back to the 31st', () => {
  it('a loan disbursed on the 31st is due on the 31st wherever the month has one', () => {
    expect(dueDates(MONTHLY, '2024-01-31', 6)).toEqual(['2024-02-29', '2024-03-31', '2024-04-30', '2024-05-31', '2024-06-30', '2024-07-31']);
    expect(dueDates(MONTHLY, '2023-01-31', 3)).toEqual(['2023-02-28', '2023-03-31', '2023-04-30']);
  });

  it('the 30th stays the 30th, February aside', () => {
    expect(dueDates(MONTHLY, '2023-12-30', 4)).toEqual(['2024-01-30', '2024-02-29', '2024-03-30', '2024-04-30']);
  });

  it('the first repayment date sets the repayment day', () => {
    expect(dueDates(MONTHLY, '2024-01-31', 3, '2024-02-29')).toEqual(['2024-02-29', '2024-03-29', '2024-04-29']);
    expect(dueDates(MONTHLY, '2024-01-10', 3, '2024-03-31')).toEqual(['2024-03-31', '2024-04-30', '2024-05-31']);
  });

  it('quarterly and across year ends', () => {
    expect(dueDates({ every: 3, unit: 'months' }, '2023-11-30', 4)).toEqual(['2024-02-29', '2024-05-30', '2024-08-30', '2024-11-30']);
    expect(dueDates(MONTHLY, '2023-11-30', 3)).toEqual(['2023-12-30', '2024-01-30', '2024-02-29']);
    expect(dueDates({ every: 12, unit: 'months' }, '2024-02-29', 2)).toEqual(['2025-02-28', '2026-02-28']);
  });
});

describe('days and weeks', () => {
  it('every N weeks is 7·N days, across the leap day', () => {
    expect(dueDates({ every: 2, unit: 'weeks' }, '2024-02-01', 3)).toEqual(['2024-02-15', '2024-02-29', '2024-03-14']);
    expect(dueDates({ every: 1, unit: 'weeks' }, '2023-12-25', 2)).toEqual(['2024-01-01', '2024-01-08']);
  });

  it('every N days', () => {
    expect(dueDates({ every: 14, unit: 'days' }, '2024-01-15', 3)).toEqual(['2024-01-29', '2024-02-12', '2024-02-26']);
    expect(dueDates({ every: 30, unit: 'days' }, '2023-02-01', 2, '2023-02-20')).toEqual(['2023-02-20', '2023-03-22']);
  });
});

describe('first period', () => {
  it.each([
    [MONTHLY, '2024-01-10', '2024-02-10', 'regular'],
    [MONTHLY, '2024-01-10', '2024-02-01', 'short'],
    [MONTHLY, '2024-01-10', '2024-03-01', 'long'],
    [MONTHLY, '2024-01-31', '2024-02-29', 'regular'],
    [MONTHLY, '2024-01-31', '2024-03-01', 'long'],
    [{ every: 1, unit: 'weeks' } as RepaymentFrequency, '2024-01-01', '2024-01-05', 'short'],
  ])('%o from %s to %s is %s', (frequency, disbursed, first, kind) => {
    expect(firstPeriodKind(frequency, disbursed, first)).toBe(kind);
    const { periods, firstPeriod } = repaymentPeriods(frequency, { disbursementDate: disbursed, firstRepaymentDate: first, numberOfRepayments: 2 });
    expect(firstPeriod).toBe(kind);
    expect(periods[0]).toMatchObject({ number: 1, fromDate: disbursed, dueDate: first, whole: kind === 'regular' });
    expect(periods[1]!.whole).toBe(true);
    expect(periods[1]!.fromDate).toBe(first);
  });

  it('lasts the days between disbursement and the first due date', () => {
    const [first] = repaymentPeriods(MONTHLY, { disbursementDate: '2024-01-10', firstRepaymentDate: '2024-03-01', numberOfRepayments: 3 }).periods;
    expect(daysBetween(first!.fromDate, first!.dueDate)).toBe(51);
  });

  it('must end after disbursement', () => {
    expect(() => repaymentPeriods(MONTHLY, { disbursementDate: '2024-01-10', firstRepaymentDate: '2024-01-10', numberOfRepayments: 3 })).toThrow(RangeError);
    expect(() => repaymentPeriods(MONTHLY, { disbursementDate: '2024-01-10', firstRepaymentDate: '2024-01-09', numberOfRepayments: 3 })).toThrow(/after disbursement/);
  });

  it.each([
    [MONTHLY, '2024-01-31', '2024-03-31'],
    [{ every: 1, unit: 'weeks' } as RepaymentFrequency, '2024-01-01', '2024-01-15'],
    [{ every: 3, unit: 'months' } as RepaymentFrequency, '2024-11-30', '2025-05-30'],
    [{ every: 1, unit: 'days' } as RepaymentFrequency, '2024-12-31', '2025-01-02'],
  ])('%o from %s: the first repayment is at most two whole periods later, %s (a long first period at most one period longer)', (frequency, disbursed, latest) => {
    expect(latestFirstRepaymentDate(frequency, disbursed)).toBe(latest);
    expect(() => assertFirstRepaymentDate(frequency, disbursed, latest)).not.toThrow();
  });

  it('a first repayment asked on or before disbursement, or later than two periods after it, is refused naming it', () => {
    expect(() => assertFirstRepaymentDate(MONTHLY, '2024-01-10', undefined)).not.toThrow();
    for (const [first, words] of [
      ['2024-01-10', /after the disbursement date, 2024-01-10/], ['2024-01-09', /after the disbursement date/],
      ['2024-03-11', /2024-03-10 at the latest/], ['2199-12-31', /at most two repayment periods/],
    ] as const) {
      expect(() => assertFirstRepaymentDate(MONTHLY, '2024-01-10', first)).toThrow(expect.objectContaining({ field: 'firstRepaymentDate', message: expect.stringMatching(words) }));
    }
  });

  it('refuses a frequency that is not every N days, weeks or months', () => {
    expect(() => repaymentPeriods({ every: 0, unit: 'months' }, { disbursementDate: '2024-01-10', numberOfRepayments: 3 })).toThrow(RangeError);
    expect(() => repaymentPeriods({ every: 1, unit: 'years' } as unknown as RepaymentFrequency, { disbursementDate: '2024-01-10', numberOfRepayments: 3 })).toThrow(RangeError);
  });
});
