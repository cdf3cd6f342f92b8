// The schedule a new loan starts on, and what refuses it: one rule for a booking, an offer and a schedule preview,
// so that a preview never shows, and an offer never promises, a schedule that booking would refuse.
import { InvalidField } from '../../errors.js';
import type { Decimal } from '../money.js';
import { assertFirstRepaymentDate } from './dueDates.js';
import type { LoanTerms } from './product.js';
import { beyondCeilingProblem, coarseScheduleProblem, feeBeforeDisbursementProblem, generateSchedule, principalDeferredProblem, type Schedule } from './schedule.js';

export interface NewLoan {
  /** Everything the loan is approved for: with tranches, all of them. */
  principal: Decimal;
  /** With tranches, what is paid out at booking (the schedule the loan starts on amortizes it); else the principal. */
  paidNow?: Decimal | undefined;
  disbursementDate: string;
  firstRepaymentDate?: string | null | undefined;
}

/**
 * The schedule a new loan on these terms starts on. Throws InvalidField naming what the loan is asked with
 * (`principal`, `numberOfRepayments`, `disbursementDate`, `firstRepaymentDate`) when the terms cannot book it: a
 * first repayment date out of bounds, a fee the terms date before the disbursement, a deducted fee that leaves
 * nothing to pay out, what it repays in all (on everything approved) reaching 10^15, a multiple too coarse for it,
 * or instalments that repay no principal before the last. What depends on a party, a partner or an application is
 * the caller's to check; the product's amount and tenor limits are `assertWithinProduct`'s.
 */
export function newLoanSchedule(terms: LoanTerms, loan: NewLoan): Schedule {
  const dates = { disbursementDate: loan.disbursementDate, firstRepaymentDate: loan.firstRepaymentDate ?? undefined };
  assertFirstRepaymentDate(terms.repaymentEvery, dates.disbursementDate, dates.firstRepaymentDate);
  const early = feeBeforeDisbursementProblem(terms.feesOnDates, dates.disbursementDate);
  if (early) throw new InvalidField('disbursementDate', early);
  const whole = scheduleOf(terms, loan.principal, dates);
  const beyond = beyondCeilingProblem(whole, terms.feesOnDates);
  if (beyond) throw new InvalidField('principal', beyond);
  const schedule = loan.paidNow === undefined || loan.paidNow.eq(loan.principal) ? whole : scheduleOf(terms, loan.paidNow, dates);
  const coarse = coarseScheduleProblem(schedule, terms.instalmentMultiple);
  if (coarse) throw new InvalidField('principal', coarse);
  const deferred = principalDeferredProblem(schedule, terms);
  if (deferred) throw new InvalidField('numberOfRepayments', deferred);
  return schedule;
}

/** The terms' schedule for this principal; a deducted fee that leaves nothing to pay out is the principal's refusal. */
function scheduleOf(terms: LoanTerms, principal: Decimal, dates: { disbursementDate: string; firstRepaymentDate: string | undefined }): Schedule {
  try {
    return generateSchedule(terms, { principal, ...dates });
  } catch (error) {
    if (error instanceof InvalidField && error.field === 'fees.disbursement.amount') throw new InvalidField('principal', error.message);
    throw error;
  }
}
