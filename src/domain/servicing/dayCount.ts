// Day-count conventions: how many days of interest a stretch of calendar earns, and what fraction of a year that
// is. A product names one by its days in the month (actual, or 30) and its days in the year (actual, 360, 364,
// 365, or one of Fineract's two "actual" years); the pairs are the conventions lenders and the ISDA definitions know as Actual/Actual
// (ISDA), Actual/360, Actual/364, Actual/365 (Fixed), 30/360, 30/364 and 30/365.
//
// Three "actual" years, named apart on purpose, because Apache Fineract's "Actual" days-in-year setting means a
// different thing in each of its two schedule engines, and neither is quite Actual/Actual (ISDA):
// - `actual` is Actual/Actual (ISDA): each day weighed by the length of its own calendar year (1/365 or 1/366).
// - `fineract-cumulative-actual` is Fineract's cumulative engine: its daily rate is the annual rate / 365 in every
//   year, leap or not (LoanApplicationTerms.calculatePeriodsInOneYear falls back to 365 days for "actual"), so it
//   counts as Actual/365 (Fixed).
// - `fineract-progressive-actual` is Fineract's progressive engine: a day is weighed by the length of its year as
//   ISDA does, but a period that spans a year end is split at 31 December rather than 1 January, so 31 December
//   counts in the new year (ProgressiveEMICalculator.calculatePeriodFractions, getFractionPeriodDueDateForEndOfYear).
//   Only periods that span a year end differ from `actual`, by a day's weight.
// A product migrated from Fineract takes the one its engine used and keeps Fineract's numbers; one that means the
// ISDA convention takes `actual`.
import { Decimal } from '../money.js';
import { dayNumber, daysInYear as daysInCalendarYear, isLastDayOfMonth, parseDate, type CalendarDate } from '../calendar.js';

export type DaysInYear =
  /** Actual/Actual (ISDA): a day of a leap year is 1/366 of a year, any other day 1/365. */
  | 'actual'
  /** Apache Fineract's cumulative "Actual": every year 365 days, so Actual/365 (Fixed) under Fineract's name. */
  | 'fineract-cumulative-actual'
  /** Apache Fineract's progressive "Actual": Actual/Actual with the year boundary on 31 December (see above). */
  | 'fineract-progressive-actual'
  | 360
  | 364
  | 365;

export const DAYS_IN_YEAR: readonly DaysInYear[] = ['actual', 'fineract-cumulative-actual', 'fineract-progressive-actual', 360, 364, 365];

/** The fixed number of days a year counts under `daysInYear`, or null where it is the calendar year's length. */
export function fixedDaysInYear(daysInYear: DaysInYear): 360 | 364 | 365 | null {
  if (daysInYear === 'actual' || daysInYear === 'fineract-progressive-actual') return null;
  return daysInYear === 'fineract-cumulative-actual' ? 365 : daysInYear;
}
export type DaysInMonth = 'actual' | 30;

/**
 * Which 30-day-month rule counts the days between two dates when months are 30 days.
 *
 * - `us` — 30/360 US (SIA Standard Securities Calculation Methods; a.k.a. 30U/360): the 31st counts as the 30th
 *   when the period started on the 30th or 31st, and the last day of February counts as the 30th when the period
 *   starts on it (and, at the end, when it also started on a last day of February). The default: a loan due on
 *   the last day of each month then earns 30 days from February to March, as borrowers expect.
 * - `european` — 30E/360 (Eurobond basis, ICMA): any 31st counts as the 30th; February is left alone.
 *
 * Either way, a whole repayment period of N months counts 30·N days in a schedule (see schedule.ts); the rule
 * matters only for broken periods and for accrual between arbitrary dates.
 */
export type ThirtyDayMonths = 'us' | 'european';

export interface DayCount {
  daysInYear: DaysInYear;
  daysInMonth: DaysInMonth;
  /** Only read when `daysInMonth` is 30; `us` when absent. */
  thirtyDayMonths?: ThirtyDayMonths;
}

/** The convention's market name, for statements and explanations. */
export function conventionName(count: DayCount): string {
  if (count.daysInMonth === 30) {
    return `30/${fixedDaysInYear(count.daysInYear)}${count.thirtyDayMonths === 'european' ? ' (European)' : ' (US)'}`;
  }
  if (count.daysInYear === 'actual') return 'Actual/Actual (ISDA)';
  if (count.daysInYear === 'fineract-cumulative-actual') return 'Actual/365 (Fixed), Fineract cumulative "Actual"';
  if (count.daysInYear === 'fineract-progressive-actual') return 'Actual/Actual, Fineract progressive "Actual"';
  return `Actual/${count.daysInYear}${count.daysInYear === 365 ? ' (Fixed)' : ''}`;
}

/** A reason the pair is not a convention, or null. */
export function dayCountProblem(count: DayCount): string | null {
  if (!DAYS_IN_YEAR.includes(count.daysInYear)) return 'days in year must be actual, fineract-cumulative-actual, fineract-progressive-actual, 360, 364 or 365';
  if (count.daysInMonth !== 30 && count.daysInMonth !== 'actual') return 'days in month must be actual or 30';
  // A 30-day month has no "actual" year to divide by: no market convention pairs them.
  if (count.daysInMonth === 30 && fixedDaysInYear(count.daysInYear) === null) return '30-day months need a fixed year of 360, 364 or 365 days';
  if (count.thirtyDayMonths !== undefined && count.thirtyDayMonths !== 'us' && count.thirtyDayMonths !== 'european') {
    return '30-day months follow the us or european rule';
  }
  return null;
}

/** Days from `from` to `to` counting every month as 30 days, by `rule`. */
export function thirtyDayCount(from: string | CalendarDate, to: string | CalendarDate, rule: ThirtyDayMonths = 'us'): number {
  const start = typeof from === 'string' ? parseDate(from) : from;
  const end = typeof to === 'string' ? parseDate(to) : to;
  let d1 = start.day;
  let d2 = end.day;
  if (rule === 'european') {
    if (d1 === 31) d1 = 30;
    if (d2 === 31) d2 = 30;
  } else {
    const startsEndOfFebruary = start.month === 2 && isLastDayOfMonth(start);
    // The order matters (SIA): the February rules read the days as given, the 31st rules the adjusted D1.
    if (startsEndOfFebruary && end.month === 2 && isLastDayOfMonth(end)) d2 = 30;
    if (startsEndOfFebruary) d1 = 30;
    if (d2 === 31 && d1 >= 30) d2 = 30;
    if (d1 === 31) d1 = 30;
  }
  return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1);
}

/** The days of interest `from` (included) to `to` (excluded) earns under the convention. */
export function accrualDays(from: string, to: string, count: DayCount): number {
  if (count.daysInMonth === 30) return thirtyDayCount(from, to, count.thirtyDayMonths ?? 'us');
  return dayNumber(parseDate(to)) - dayNumber(parseDate(from));
}

/** A fraction of a year as a ratio of whole numbers, so that callers can keep interest exact. */
export interface YearRatio {
  numerator: number;
  denominator: number;
}

const LEAP_AND_COMMON = 365 * 366;

/** The fraction of a year from `from` to `to` under the convention, exactly; `to` must not be before `from`. */
export function yearFractionRatio(from: string, to: string, count: DayCount): YearRatio {
  const problem = dayCountProblem(count);
  if (problem) throw new RangeError(problem);
  const start = parseDate(from);
  const end = parseDate(to);
  const startDay = dayNumber(start);
  const endDay = dayNumber(end);
  if (endDay < startDay) throw new RangeError(`${to} is before ${from}`);
  const fixed = fixedDaysInYear(count.daysInYear);
  if (fixed !== null) return { numerator: accrualDays(from, to, count), denominator: fixed };
  // Actual/Actual (ISDA): the days in each calendar year over that year's length, over 365 × 366. Fineract's
  // progressive "Actual" moves each year's first day back to 31 December of the year before.
  const shift = count.daysInYear === 'fineract-progressive-actual' ? 1 : 0;
  let numerator = 0;
  for (let year = start.year; year <= end.year + shift; year += 1) {
    const yearStart = Math.max(startDay, dayNumber({ year, month: 1, day: 1 }) - shift);
    const yearEnd = Math.min(endDay, dayNumber({ year: year + 1, month: 1, day: 1 }) - shift);
    if (yearEnd > yearStart) numerator += (yearEnd - yearStart) * (LEAP_AND_COMMON / daysInCalendarYear(year));
  }
  return { numerator, denominator: LEAP_AND_COMMON };
}

/** The fraction of a year from `from` to `to` under the convention; `to` must not be before `from`. */
export function yearFraction(from: string, to: string, count: DayCount): Decimal {
  const { numerator, denominator } = yearFractionRatio(from, to, count);
  return new Decimal(numerator).div(denominator);
}

/**
 * The interest one unit of principal earns from `from` to `to` at a nominal annual rate given in percent
 * (simple interest within the period): rate / 100 × year fraction. Unrounded; rounding belongs to the caller's
 * named rounding point.
 */
export function periodInterestFactor(annualRatePercent: Decimal, from: string, to: string, count: DayCount): Decimal {
  return annualRatePercent.div(100).times(yearFraction(from, to, count));
}
