// Changing the schedule mid-life (a prepayment regenerates what remains, a payoff collapses it) must not lose
// money the borrower already paid or the ledger already holds: what was paid, waived or recognised on the
// instalments being replaced is carried onto their replacements.
import { shareGivenBack } from './participations.js';
import { Decimal } from '../../money.js';
import { COMPONENTS } from '../allocation.js';
import type { Amounts, RemainingTerms } from '../loanAccount.js';
import type { Instalment } from '../schedule.js';
import { earnedInterest, type PeriodAccrual } from '../prepayment.js';
import { fallDue } from './timePasses.js';
import { CHARGES, outstandingOf, plannedInstalment, receivableOf, ZERO, zeros, type WorkingInstalment, type WorkingState } from './workingState.js';

/** An instalment of a regenerated schedule, before anything is carried onto it. */
export interface Replacement extends Omit<Instalment, 'penalty' | 'total' | 'outstandingPrincipal'> {
  accrual: PeriodAccrual;
}

/** The shape of the schedule after `date`, as a prepayment explains it before and after. */
export function remainingAfter(state: WorkingState, date: string): RemainingTerms {
  const ahead = state.instalments.filter((w) => w.dueDate > date);
  return {
    level: state.level,
    instalments: ahead.length,
    maturityDate: ahead.at(-1)?.dueDate ?? null,
    interest: ahead.reduce((s, w) => s.plus(outstandingOf(w).interest), ZERO),
    principal: ahead.reduce((s, w) => s.plus(outstandingOf(w).principal), ZERO),
  };
}

/**
 * Replaces the instalments due after `date` by `plan`. What was paid, waived or recognised on them is carried
 * over: principal paid ahead stays paid on the first (it already reduced the principal the plan is for);
 * interest, fees and penalties paid or waived fill the new instalments in order; charges added by hand or by
 * rule stay on the instalment of the same number (the last one when it is gone). Interest or fees paid ahead
 * beyond what the plan still asks for were never earned: the income is taken back and the money is held.
 */
export function replaceAfter(state: WorkingState, date: string, plan: Replacement[]): void {
  const future = state.instalments.filter((w) => w.dueDate > date);
  const kept = state.instalments.filter((w) => w.dueDate <= date);
  const news: WorkingInstalment[] = plan.map((p) => plannedInstalment(p, p.accrual));
  const pooled = poolReplaced(future, news);
  const first = news[0]!;
  // Principal paid or written off ahead already reduced the principal the plan is for: it stays on the first.
  first.charged.principal = first.charged.principal.plus(pooled.paid.principal).plus(pooled.writtenOff.principal);
  first.recognised.principal = first.charged.principal;
  first.paid.principal = pooled.paid.principal;
  first.writtenOff.principal = pooled.writtenOff.principal;
  for (const c of CHARGES) fillFromPool(state, date, news, pooled, c);
  state.instalments = [...kept, ...news];
}

type Pool = { paid: Amounts; waived: Amounts; writtenOff: Amounts; receivable: Amounts };

/** Moves charges added to the replaced instalments onto their replacements, and pools what was paid, waived and receivable. */
function poolReplaced(replaced: readonly WorkingInstalment[], news: WorkingInstalment[]): Pool {
  const pooled = { paid: zeros(), waived: zeros(), writtenOff: zeros(), receivable: zeros() };
  for (const w of replaced) {
    const target = news.find((n) => n.number === w.number) ?? news.at(-1)!;
    for (const c of ['fee', 'penalty'] as const) {
      target.charged[c] = target.charged[c].plus(w.added[c]);
      target.added[c] = target.added[c].plus(w.added[c]);
    }
    for (const c of COMPONENTS) {
      pooled.paid[c] = pooled.paid[c].plus(w.paid[c]);
      pooled.waived[c] = pooled.waived[c].plus(w.waived[c]);
      pooled.writtenOff[c] = pooled.writtenOff[c].plus(w.writtenOff[c]);
      if (c !== 'principal') pooled.receivable[c] = pooled.receivable[c].plus(receivableOf(w, c));
    }
  }
  return pooled;
}

/** Fills the new instalments' `c` from the pool in order; paid beyond what they ask for goes back to the borrower. */
function fillFromPool(state: WorkingState, date: string, news: WorkingInstalment[], pooled: Pool, c: (typeof CHARGES)[number]): void {
  // What the ledger holds as receivable must stay receivable; then what was paid, then what was waived.
  let receivable = pooled.receivable[c];
  let paid = pooled.paid[c];
  let waived = pooled.waived[c];
  let writtenOff = pooled.writtenOff[c];
  for (const n of news) {
    let room = n.charged[c];
    const r = Decimal.min(receivable, room);
    room = room.minus(r);
    receivable = receivable.minus(r);
    const p = Decimal.min(paid, room);
    room = room.minus(p);
    paid = paid.minus(p);
    const v = Decimal.min(waived, room);
    room = room.minus(v);
    waived = waived.minus(v);
    const o = Decimal.min(writtenOff, room);
    writtenOff = writtenOff.minus(o);
    n.paid[c] = p;
    n.waived[c] = v;
    n.writtenOff[c] = o;
    // Interest paid on an instalment not yet due stays interest in advance (not recognised); fees were recognised.
    n.recognised[c] = c === 'interest' ? r.plus(v).plus(o) : r.plus(p).plus(v).plus(o);
  }
  if (receivable.gt(0)) throw new Error(`rescheduling lost ${receivable.toFixed()} of ${c} receivable`);
  if (paid.gt(0) && c !== 'penalty') {
    // Interest paid ahead was held as interest in advance, fees ahead were income: either way it goes back to the borrower.
    const from = state.accounts[c === 'interest' ? 'interestInAdvance' : 'feeIncome'];
    state.postLines(date, [
      { account: from, debit: paid, credit: ZERO },
      { account: state.accounts.excess, debit: ZERO, credit: paid },
    ]);
    if (c === 'fee' && state.participations.length > 0) shareGivenBack(state, date, { fee: paid });
    state.held = state.held.plus(paid);
  }
  // A waiver or write-off of what the plan no longer asks for gave up nothing more: recognised drops with it.
}

/**
 * Collapses the schedule on `date` to what a payoff then owes: one instalment due on `date` with all principal
 * still owed and the interest the current period has earned; later interest and instalment fees are cancelled.
 */
export function collapseOn(state: WorkingState, date: string): { interest: Decimal; fee: Decimal } {
  const future = state.instalments.filter((w) => w.dueDate > date);
  if (future.length === 0) return { interest: ZERO, fee: ZERO };
  const current = future[0]!;
  const earned = earnedInterest(state.terms, current.accrual, current.dueDate, date).amount;
  const scheduledInterest = future.reduce((s, w) => s.plus(w.charged.interest), ZERO);
  const scheduledFee = future.reduce((s, w) => s.plus(w.charged.fee.minus(w.added.fee)), ZERO);
  // Principal paid or written off ahead is carried onto the replacement by replaceAfter: the plan is for the rest.
  const principal = future.reduce((s, w) => s.plus(w.charged.principal.minus(w.paid.principal).minus(w.writtenOff.principal)), ZERO);
  replaceAfter(state, date, [{
    number: current.number, fromDate: current.fromDate, dueDate: date, principal, interest: earned, fee: ZERO,
    accrual: { from: date, interest: ZERO, earnedBefore: earned },
  }]);
  // The payoff makes the current instalment fall due today: the interest earned to date is income now.
  fallDue(state, state.instalments.at(-1)!, date);
  return { interest: scheduledInterest.minus(earned), fee: scheduledFee };
}
