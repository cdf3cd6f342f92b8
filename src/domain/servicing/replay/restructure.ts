// A restructure: new terms from its value date, for a borrower who cannot keep to the old ones. What it may change:
// - the arrears: capitalised (everything due and unpaid on the date, principal, interest, fees and penalties,
//   becomes principal of the new schedule, so nothing is past due and the loan is current again — re-ageing is a
//   restructure that capitalises and changes nothing else) or left due as they are;
// - the annual rate, from the date (interest the current period earned before it stays at the old rate);
// - the number of instalments still to come (a reschedule), by default as many as there were;
// - a payment holiday: whole periods before the first new instalment in which nothing falls due, their interest
//   accruing (added to the first instalment after the holiday, by days) or waived (the schedule earns interest
//   again only from one period before its first due date).
// The instalments still to come are replaced by the new plan (replaceAfter carries what was paid on them ahead
// of time, interest received in advance included); the new rate, with no grace, is the loan's from then on. A new
// plan that would take what the loan owes to the amount ceiling (capitalised arrears at a high rate over many
// instalments) is refused.
import { shareCapitalised } from './participations.js';
import { InvalidField } from '../../../errors.js';
import { Decimal } from '../../money.js';
import { COMPONENTS } from '../allocation.js';
import { periodsAfter } from '../dueDates.js';
import type { LoanTransaction } from '../loanAccount.js';
import { earnedInterest, remainingSchedule } from '../prepayment.js';
import { assertValidTerms, MAX_REPAYMENTS } from '../product.js';
import { remainingAfter, replaceAfter } from './reschedule.js';
import { CHARGES, outstandingOf, sum, termsAfter, ZERO, zeros, type WorkingState } from './workingState.js';

type Restructure = Extract<LoanTransaction, { kind: 'restructure' }>;

/** The longest payment holiday, in whole repayment periods. */
export const MAX_HOLIDAY_PERIODS = 24;

function wholeNumber(value: number | undefined, field: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) throw new InvalidField(field, `${field} must be a whole number from ${min} to ${max}`);
  return value;
}

/**
 * What a restructure that would owe too much is refused by: the first of what it changes that adds interest, as
 * the request gives them — its rate, its number of instalments, its holiday, else the arrears it capitalises (a
 * restructure changes at least one).
 */
function whatAddsInterest(t: Restructure): 'annualRatePercent' | 'instalments' | 'holidayPeriods' | 'capitaliseArrears' {
  if (t.annualRatePercent !== undefined) return 'annualRatePercent';
  if (t.instalments !== undefined) return 'instalments';
  if (t.holidayPeriods) return 'holidayPeriods';
  return 'capitaliseArrears';
}

export function restructure(state: WorkingState, t: Restructure, field: string): void {
  state.assertNotWrittenOff(t.kind, field);
  const date = t.valueDate;
  const instalments = wholeNumber(t.instalments, `${field}.instalments`, 1, MAX_REPAYMENTS);
  const holiday = wholeNumber(t.holidayPeriods, `${field}.holidayPeriods`, 0, MAX_HOLIDAY_PERIODS) ?? 0;
  const holidayInterest = t.holidayInterest ?? 'accrue';
  if (holidayInterest !== 'accrue' && holidayInterest !== 'waive') throw new InvalidField(`${field}.holidayInterest`, 'the holiday\'s interest accrues or is waived');
  let rate = state.terms.annualRatePercent;
  if (t.annualRatePercent !== undefined) {
    try {
      rate = new Decimal(t.annualRatePercent);
      assertValidTerms({ ...state.terms, annualRatePercent: rate });
    } catch {
      throw new InvalidField(`${field}.annualRatePercent`, 'the annual rate must be a percentage from 0 to 1000');
    }
  }
  if (state.settled()) throw new InvalidField(`${field}.valueDate`, `nothing is owed on ${date}: there is nothing to restructure`);
  const before = remainingAfter(state, date);

  // The arrears, capitalised: taken off the instalments that owe them and added to the principal to be scheduled.
  const capitalised = zeros();
  if (t.capitaliseArrears) {
    for (const w of state.instalments) {
      if (w.dueDate > date) continue;
      const owed = outstandingOf(w);
      for (const c of COMPONENTS) {
        if (!owed[c].gt(0)) continue;
        w.charged[c] = w.charged[c].minus(owed[c]);
        w.recognised[c] = w.recognised[c].minus(owed[c]);
        if (c === 'fee' || c === 'penalty') w.added[c] = Decimal.max(w.added[c].minus(owed[c]), ZERO);
        capitalised[c] = capitalised[c].plus(owed[c]);
      }
    }
    // Interest, fees and penalties capitalised are owed as principal now; principal was receivable already.
    const charges = capitalised.interest.plus(capitalised.fee).plus(capitalised.penalty);
    if (charges.gt(0)) {
      const accounts = state.accounts;
      const receivable = { interest: accounts.interestReceivable, fee: accounts.feeReceivable, penalty: accounts.penaltyReceivable };
      const owed = state.principalOwed;
      state.postLines(date, [
        { account: accounts.principalReceivable, debit: charges, credit: ZERO },
        ...CHARGES.filter((c) => capitalised[c].gt(0)).map((c) => ({ account: receivable[c], debit: ZERO, credit: capitalised[c] })),
      ]);
      if (state.participations.length > 0) shareCapitalised(state, date, capitalised, owed, state.principalOwed);
    }
  }

  const future = state.instalments.filter((w) => w.dueDate > date);
  const principal = future.reduce((s, w) => s.plus(outstandingOf(w).principal), sum(capitalised));
  if (!principal.gt(0)) {
    throw new InvalidField(`${field}.capitaliseArrears`, `no principal is left to schedule after ${date}: what is owed is all due; capitalise the arrears to restructure it`);
  }
  const current = future[0];
  const last = state.instalments.at(-1)!;
  const frequency = state.terms.repaymentEvery;
  // The next due date after the date (after maturity: the first whole period after the last one that is), then
  // the holiday's periods.
  let next = current?.dueDate ?? last.dueDate;
  for (let k = 1; next <= date; k += 1) next = periodsAfter(last.dueDate, frequency, k);
  const first = periodsAfter(next, frequency, holiday);
  const count = instalments ?? Math.max(future.length, 1);
  const kept = state.instalments.length - future.length;
  if (kept + count > MAX_REPAYMENTS) {
    throw new InvalidField(`${field}.instalments`, `a loan has at most ${MAX_REPAYMENTS} instalments; ${kept} are already behind this date, so at most ${MAX_REPAYMENTS - kept} can follow`);
  }
  const dueDates = Array.from({ length: count }, (_, k) => periodsAfter(first, frequency, k));
  // Interest earned before the date by the period it falls in stays owed, at the rate it was earned at.
  const earned = current ? earnedInterest(state.terms, current.accrual, current.dueDate, date).amount : ZERO;
  // Waived, interest runs again from one period before the first new instalment: after the date, as the holiday
  // has at least one period.
  const from = holiday > 0 && holidayInterest === 'waive' ? periodsAfter(first, frequency, -1) : date;

  state.restructured = { on: date, annualRatePercent: rate };
  state.terms = termsAfter(state.loan.terms, state.restructured);
  const plan = remainingSchedule(state.terms, { principal, valueDate: from, dueDates, reschedule: 'reduceInstalment', level: state.level, principalFreeLeft: 0 });
  const number = current?.number ?? last.number + 1;
  replaceAfter(state, date, plan.instalments.map((i, k) => ({
    number: number + k,
    fromDate: k === 0 ? (current?.fromDate ?? last.dueDate) : plan.instalments[k - 1]!.dueDate,
    dueDate: i.dueDate,
    principal: i.principal,
    interest: k === 0 ? earned.plus(i.interest) : i.interest,
    fee: i.fee,
    accrual: k === 0 ? { from, interest: i.interest, earnedBefore: earned } : { from: plan.instalments[k - 1]!.dueDate, interest: i.interest, earnedBefore: ZERO },
  })));
  state.level = plan.level;
  state.assertOwesBelowCeiling(`${field}.${whatAddsInterest(t)}`, 'the restructure\'s new schedule', date);
  state.drawOnHeld(date);
  state.restructures.push({
    restructureId: t.id, valueDate: date, capitalised, annualRatePercent: rate, holidayPeriods: holiday, holidayInterest,
    before, after: remainingAfter(state, date),
  });
}
