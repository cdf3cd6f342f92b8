// Repayment frequency and the due dates it gives a loan.
//
// Month-end rule: due dates are counted from one anchor date, never chained from the previous due date, and a
// day the month lacks falls on the month's last day. A loan repaid on the 31st is due Jan 31, Feb 28 (29 in a
// leap year), Mar 31, Apr 30, May 31: it comes back to the 31st wherever the month has one. A loan repaid on the
// 30th stays on the 30th (Feb 28/29 aside): the anchor's day of the month is the repayment day, not "month-end".
//
// The anchor is the first repayment date when the loan has one, otherwise the disbursement date (the first due
// date is then one period after disbursement). So the first repayment date also sets the repayment day: a loan
// disbursed Jan 31 with its first repayment on Feb 28 is due on the 28th from then on.
import { InvalidField } from '../../errors.js';
import { addMonths, dayNumber, formatDate, fromDayNumber, parseDate, type CalendarDate } from '../calendar.js';

export interface RepaymentFrequency {
  every: number;
  unit: 'days' | 'weeks' | 'months';
}

/** How the first period compares with a whole repayment period from disbursement. */
export type FirstPeriod = 'regular' | 'short' | 'long';

export interface RepaymentPeriod {
  /** 1-based instalment number. */
  number: number;
  /** Interest runs from this date (included)… */
  fromDate: string;
  /** …to the due date (excluded). */
  dueDate: string;
  /** False only for a short or long first period. */
  whole: boolean;
}

export function frequencyProblem(frequency: RepaymentFrequency): string | null {
  if (!['days', 'weeks', 'months'].includes(frequency.unit)) return 'repayments fall every N days, weeks or months';
  if (!Number.isInteger(frequency.every) || frequency.every < 1 || frequency.every > 366) return 'repayments fall every 1 to 366 days, weeks or months';
  return null;
}

/** `periods` whole repayment periods after `anchor`. */
export function periodsAfter(anchor: string | CalendarDate, frequency: RepaymentFrequency, periods: number): string {
  if (frequency.unit === 'months') return addMonths(anchor, periods * frequency.every);
  const start = dayNumber(typeof anchor === 'string' ? parseDate(anchor) : anchor);
  return formatDate(fromDayNumber(start + periods * frequency.every * (frequency.unit === 'weeks' ? 7 : 1)));
}

export function firstPeriodKind(frequency: RepaymentFrequency, disbursementDate: string, firstDueDate: string): FirstPeriod {
  const wholePeriodEnd = dayNumber(parseDate(periodsAfter(disbursementDate, frequency, 1)));
  const firstDue = dayNumber(parseDate(firstDueDate));
  return firstDue === wholePeriodEnd ? 'regular' : firstDue < wholePeriodEnd ? 'short' : 'long';
}

/**
 * The latest first repayment date a loan may be booked with: two whole repayment periods after disbursement, so a
 * long first period is at most one period longer than a regular one. A long first period earns interest by its day
 * count, all of it due with the first instalment: a first repayment decades away would book a first instalment many
 * times the loan. A lender that lets a borrower start repaying later gives grace on principal and interest (the
 * product's grace periods), which keeps every instalment a period long.
 */
export function latestFirstRepaymentDate(frequency: RepaymentFrequency, disbursementDate: string): string {
  return periodsAfter(disbursementDate, frequency, 2);
}

/**
 * The one rule for a first repayment date a loan is asked with (a booking, a disbursement request, an offer, a
 * schedule preview): after the disbursement date and no later than `latestFirstRepaymentDate`. Throws InvalidField
 * naming `firstRepaymentDate`. Loans already booked are replayed with the date they were booked with, whatever it is.
 */
export function assertFirstRepaymentDate(frequency: RepaymentFrequency, disbursementDate: string, firstRepaymentDate: string | null | undefined): void {
  if (firstRepaymentDate === null || firstRepaymentDate === undefined) return;
  if (firstRepaymentDate <= disbursementDate) {
    throw new InvalidField('firstRepaymentDate', `firstRepaymentDate must be after the disbursement date, ${disbursementDate}`);
  }
  const latest = latestFirstRepaymentDate(frequency, disbursementDate);
  if (firstRepaymentDate > latest) {
    throw new InvalidField('firstRepaymentDate', `firstRepaymentDate may be at most two repayment periods after the disbursement date: ${latest} at the latest; a later start is a grace on principal and interest`);
  }
}

/**
 * The loan's repayment periods: the first from disbursement to the first due date, each next one from the
 * previous due date. Throws RangeError when the first repayment date is not after disbursement.
 */
export function repaymentPeriods(
  frequency: RepaymentFrequency,
  loan: { disbursementDate: string; firstRepaymentDate?: string | undefined; numberOfRepayments: number },
): { periods: RepaymentPeriod[]; firstPeriod: FirstPeriod } {
  const problem = frequencyProblem(frequency);
  if (problem) throw new RangeError(problem);
  const disbursed = parseDate(loan.disbursementDate);
  const first = loan.firstRepaymentDate;
  if (first !== undefined && dayNumber(parseDate(first)) <= dayNumber(disbursed)) {
    throw new RangeError(`the first repayment date ${first} must be after disbursement on ${loan.disbursementDate}`);
  }
  const anchor = parseDate(first ?? loan.disbursementDate);
  const offset = first === undefined ? 1 : 0;
  const firstPeriod = first === undefined ? 'regular' : firstPeriodKind(frequency, loan.disbursementDate, first);
  const periods: RepaymentPeriod[] = [];
  let fromDate = loan.disbursementDate;
  for (let number = 1; number <= loan.numberOfRepayments; number += 1) {
    const dueDate = periodsAfter(anchor, frequency, number - 1 + offset);
    periods.push({ number, fromDate, dueDate, whole: number > 1 || firstPeriod === 'regular' });
    fromDate = dueDate;
  }
  return { periods, firstPeriod };
}
