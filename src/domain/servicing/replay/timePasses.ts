// What the terms alone make happen as business dates pass, with no transaction to prompt it: instalments fall
// due (their interest and fees become receivable, interest received in advance becomes income), penalty interest
// accrues on overdue principal, fees fall on their dates, late fees are charged after the grace days. The replay
// brings the loan to each transaction's value date through `advanceTo` before handling it, so a handler always
// sees the loan as it stood that day. A new charge that arises from the terms belongs here, not in a handler.
import type { Decimal } from '../../money.js';
import { lateFeeAmount, lateFeeDate, penaltyInterest } from '../chargeRules.js';
import { fundAssigned } from './participations.js';
import { interestInAdvanceOf, outstandingOf, sum, ZERO, type WorkingInstalment, type WorkingState } from './workingState.js';

/**
 * Interest paid before its instalment was due sat on the interest-in-advance liability; once the instalment is
 * due, that interest is income and the advance pays its receivable.
 */
function recogniseInterestReceivedInAdvance(state: WorkingState, advance: Decimal, date: string): void {
  state.post({ kind: 'advanceInterestApplied', amount: advance }, date);
}

/** Instalment `w` falls due on `date`: what it charges is recognised, and interest paid on it in advance is earned. */
export function fallDue(state: WorkingState, w: WorkingInstalment, date: string): void {
  const advance = interestInAdvanceOf(w);
  state.recognise(w, date);
  w.fallen = true;
  recogniseInterestReceivedInAdvance(state, advance, date);
}

/** A charge by the terms cut to the room left below the amount ceiling (WorkingState.roomBelowCeiling), saying so. */
function belowCeiling(charge: { amount: Decimal; how: string }, room: Decimal): { amount: Decimal; how: string } {
  if (charge.amount.lte(room)) return charge;
  return { amount: room, how: `${charge.how}, cut to ${room.toFixed()} so that what the loan owes stays below 10^15` };
}

/**
 * Recognises penalty interest on principal overdue from `penaltyFrom` to `date`, per overdue instalment. Returns
 * whether anything was charged (held money is then drawn on).
 */
export function accruePenaltyInterestTo(state: WorkingState, date: string): boolean {
  const { terms } = state;
  let charged = false;
  // `penaltyFrom` is as far as the replay has come: a co-lender assigned (or bought back) on a date passed is settled first.
  if (date > state.penaltyFrom && state.participations.length > 0) fundAssigned(state, state.penaltyFrom, date);
  if (date > state.penaltyFrom && (terms.penaltyRatePercent ?? ZERO).gt(0) && !state.chargesStopped) {
    let room: Decimal | undefined;
    for (const w of state.instalments) {
      const principal = outstandingOf(w).principal;
      if (w.dueDate > state.penaltyFrom || !principal.gt(0) || !state.owesBeyondTolerance(w)) continue;
      const accrued = penaltyInterest(terms, principal, state.penaltyFrom, date);
      room ??= state.roomBelowCeiling();
      const { amount, how } = belowCeiling(accrued, room);
      if (!amount.gt(0)) continue;
      room = room.minus(amount);
      state.charge(w, 'penalty', amount, date);
      state.ruleCharges.push({ rule: 'penaltyInterest', valueDate: date, component: 'penalty', instalment: w.number, amount, reason: `instalment ${w.number} was due ${w.dueDate}: ${how}` });
      charged = true;
    }
  }
  if (date > state.penaltyFrom) state.penaltyFrom = date;
  return charged;
}

function instalmentsFallDue(state: WorkingState, date: string): void {
  for (const w of state.instalments) {
    if (!w.fallen && w.dueDate <= date) fallDue(state, w, date);
  }
}

function feesOnDatesFallDue(state: WorkingState, date: string): void {
  const { feesOnDates } = state;
  while (state.nextFeeOnDate < feesOnDates.length && feesOnDates[state.nextFeeOnDate]!.date <= date) {
    const { amount, name } = feesOnDates[state.nextFeeOnDate]!;
    state.nextFeeOnDate += 1;
    if (state.chargesStopped || state.settled()) continue;
    const w = state.chargedOn(date);
    // Counted in what the loan repays at booking, but penalties since may have taken the room it had.
    const fee = belowCeiling({ amount, how: `${name}, due ${date} by the loan's terms` }, state.roomBelowCeiling());
    if (!fee.amount.gt(0)) continue;
    state.charge(w, 'fee', fee.amount, date);
    state.ruleCharges.push({ rule: 'feeOnDate', valueDate: date, component: 'fee', instalment: w.number, amount: fee.amount, reason: `${fee.how}; collected with instalment ${w.number}` });
  }
}

function lateFeesFallDue(state: WorkingState, date: string): void {
  const { lateFee, terms } = state;
  if (!lateFee) return;
  let room: Decimal | undefined;
  for (const w of state.instalments) {
    if (!w.fallen || w.lateFeeChecked || lateFeeDate(lateFee, w.dueDate) > date) continue;
    w.lateFeeChecked = true;
    if (state.chargesStopped || !state.owesBeyondTolerance(w)) continue;
    const owing = outstandingOf(w);
    room ??= state.roomBelowCeiling();
    const { amount, how } = belowCeiling(lateFeeAmount(terms, lateFee, owing.principal.plus(owing.interest).plus(owing.fee)), room);
    if (!amount.gt(0)) continue;
    room = room.minus(amount);
    state.charge(w, 'penalty', amount, date);
    const grace = lateFee.graceDays === 0 ? 'the day after its due date' : `${lateFee.graceDays} grace day${lateFee.graceDays === 1 ? '' : 's'} after its due date`;
    state.ruleCharges.push({
      rule: 'lateFee', valueDate: date, component: 'penalty', instalment: w.number, amount,
      reason: `instalment ${w.number} due ${w.dueDate} still owed ${sum(owing).toFixed()} ${state.currency} (more than the tolerance of ${state.tolerance.toFixed()}) ${grace}: ${how}`,
    });
  }
}

/** The next date on which something falls due by the terms alone. */
function nextDateByTerms(state: WorkingState): string | null {
  let next: string | null = null;
  const consider = (date: string) => {
    if (next === null || date < next) next = date;
  };
  for (const w of state.instalments) {
    if (!w.fallen) consider(w.dueDate);
    else if (state.lateFee && !w.lateFeeChecked) consider(lateFeeDate(state.lateFee, w.dueDate));
  }
  if (state.nextFeeOnDate < state.feesOnDates.length) consider(state.feesOnDates[state.nextFeeOnDate]!.date);
  return next;
}

/**
 * Everything the terms make happen on `date`, in this order: penalty interest (on what was overdue before the
 * date), due dates, fees on dates, late fees (so a late fee sees the instalment as it stands), then held money.
 */
function termsFallDueOn(state: WorkingState, date: string): void {
  accruePenaltyInterestTo(state, date);
  instalmentsFallDue(state, date);
  feesOnDatesFallDue(state, date);
  lateFeesFallDue(state, date);
  state.drawOnHeld(date);
}

/** Brings the loan to `date`: every date something falls due by the terms, then penalty interest to `date`. */
export function advanceTo(state: WorkingState, date: string): void {
  for (let next = nextDateByTerms(state); next !== null && next <= date; next = nextDateByTerms(state)) termsFallDueOn(state, next);
  if (accruePenaltyInterestTo(state, date)) state.drawOnHeld(date);
}
