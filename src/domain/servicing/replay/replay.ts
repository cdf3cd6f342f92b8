// The replay rebuilds a loan from its terms and its transactions alone, so that a backdated payment or a reversal
// needs no correction logic: append it and replay. The loop is the concept itself: start from the disbursement,
// and for each transaction in effect (value date, then arrival) first let time pass to its value date — what the
// terms make happen on the way (timePasses.ts) — then handle the transaction by its kind (handlers.ts); finally
// let time pass to `asOf`. All of it works on one WorkingState (workingState.ts), so no step hides state from
// another. A new kind of transaction is a member of `LoanTransaction` (loanAccount.ts) and a handler in
// handlers.ts — the handlers' table does not compile without it; something that happens by the terms as dates
// pass belongs in timePasses.ts instead. Pure: no clock, no database.
import { InvalidField } from '../../../errors.js';
import { Decimal } from '../../money.js';
import type { LoanAccount, LoanAccountState, LoanTransaction, PayoffQuote } from '../loanAccount.js';
import { feeBeforeDisbursementProblem, generateSchedule, type ScheduleRequest } from '../schedule.js';
import type { FeeOnDate } from '../product.js';
import { stateOf } from './accountState.js';
import { handle } from './handlers.js';
import { collapseOn } from './reschedule.js';
import { advanceTo } from './timePasses.js';
import { effectiveTransactions } from './transactions.js';
import { transactionInWords } from '../transactionWords.js';
import { dateOf } from '../../calendar.js';
import { WorkingState } from './workingState.js';

/** The loan's state as of `asOf`; with `quoting`, also what would close it on `asOf`. */
export function replay(loan: LoanAccount, transactions: readonly LoanTransaction[], asOf: string, quoting: boolean): { state: LoanAccountState; quote: PayoffQuote | null } {
  const { state, effective } = opened(loan, transactions, asOf);
  carryForward(state, effective, asOf);
  // The account is taken before quoting: a quote collapses the future instalments into today's, on the working state.
  const account = stateOf(state, asOf);
  const quote = quoting ? (collapseOn(state, asOf), state.quoteOn(asOf)) : null;
  return { state: account, quote };
}

/** The replay from scratch, with the working state it ends in (what a checkpoint keeps) and what it applied. */
export function replayWorking(loan: LoanAccount, transactions: readonly LoanTransaction[], asOf: string): { working: WorkingState; state: LoanAccountState; effective: LoanTransaction[] } {
  const { state: working, effective } = opened(loan, transactions, asOf);
  carryForward(working, effective, asOf);
  return { working, state: stateOf(working, asOf), effective };
}

/** The loop itself: for each transaction (in the order they apply), time passes to its value date and it is handled; then time passes to `asOf`. */
export function carryForward(state: WorkingState, effective: readonly LoanTransaction[], asOf: string): void {
  for (const t of effective) {
    advanceTo(state, t.valueDate);
    handle(state, t);
  }
  advanceTo(state, asOf);
}

/** What the replay builds from the loan's terms alone: the schedule's request and the fees on fixed dates, in date order. */
export function openingOf(loan: LoanAccount): { request: ScheduleRequest; feesOnDates: FeeOnDate[] } {
  const request = { principal: loan.principal, disbursementDate: loan.disbursementDate, firstRepaymentDate: loan.firstRepaymentDate };
  const feesOnDates = [...(loan.terms.feesOnDates ?? [])].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return { request, feesOnDates };
}

/** The loan on its disbursement date and the transactions to replay, refusing what the replay cannot make sense of. */
function opened(loan: LoanAccount, transactions: readonly LoanTransaction[], asOf: string): { state: WorkingState; effective: LoanTransaction[] } {
  dateOf(asOf, 'asOf');
  dateOf(loan.disbursementDate, 'disbursementDate');
  if (asOf < loan.disbursementDate) throw new InvalidField('asOf', 'a loan has no account before it is disbursed');
  const { terms } = loan;
  if (loan.approvedPrincipal !== undefined && new Decimal(loan.approvedPrincipal).lt(loan.principal)) {
    throw new InvalidField('approvedPrincipal', 'the approved principal is at least the first tranche, paid out at booking');
  }
  const { request, feesOnDates } = openingOf(loan);
  const schedule = generateSchedule(terms, request);
  const effective = effectiveTransactions(transactions, asOf);
  effective.forEach((t) => {
    if (t.valueDate < loan.disbursementDate) throw new InvalidField('transactions', `${transactionInWords(t)} is valued before the disbursement on ${loan.disbursementDate}`);
  });
  const early = feeBeforeDisbursementProblem(feesOnDates, loan.disbursementDate);
  if (early) throw new InvalidField('terms.feesOnDates', early);
  return { state: new WorkingState(loan, request, feesOnDates, { booked: schedule }), effective };
}
