// What end of day needs to carry a loan forward without replaying it (docs/end-of-day.md): the instalments not
// yet fallen due with what each will make receivable, the instalment that fell due last and what it still owes,
// the oldest instalment overdue, and the first date on which something happens by the terms that the set-based
// steps do not do — then end of day replays the loan instead. Read from the replay's working state as of a date,
// so a posting stores exactly what a replay from scratch says.
import { addDays } from '../../calendar.js';
import type { Decimal } from '../../money.js';
import { lateFeeDate } from '../chargeRules.js';
import { less, outstandingOf, sum, ZERO, type WorkingState } from './workingState.js';

export interface UpcomingInstalment {
  number: number;
  dueDate: string;
  /** What becomes receivable (and income) when it falls due: charged less what is already recognised. */
  interest: Decimal;
  fee: Decimal;
  penalty: Decimal;
  /** What it will owe in all once due: charged less paid and waived. */
  owing: Decimal;
}

export interface PositionFacts {
  /** Not yet fallen due as of the date, in due-date order. */
  upcoming: UpcomingInstalment[];
  /** The instalment that fell due last and what it still owes. */
  lastFallen: { dueDate: string; owing: Decimal } | null;
  /** The oldest instalment due before the date still owing beyond the tolerance. */
  oldestDueDate: string | null;
  /**
   * The first date after `asOf` on which the loan must be replayed: a fee on a fixed date, a late fee day of an
   * instalment still owing, penalty interest on overdue principal (every day), held money to draw on or interest
   * paid ahead on an instalment (its due date: then it is income, even on a loan paid up). Null when the set-based steps bring it forward exactly.
   */
  replayOn: string | null;
}

export function positionFactsOf(state: WorkingState, asOf: string): PositionFacts {
  const closed = state.chargesStopped || state.settled();
  const upcoming = state.instalments.filter((w) => !w.fallen).map((w) => ({
    number: w.number,
    dueDate: w.dueDate,
    // Nothing is recognised on an instalment not yet fallen due, mostly: then what it makes receivable is what it charges.
    interest: less(w.charged.interest, w.recognised.interest),
    fee: less(w.charged.fee, w.recognised.fee),
    penalty: less(w.charged.penalty, w.recognised.penalty),
    owing: sum(outstandingOf(w)),
  }));
  const fallen = state.instalments.filter((w) => w.fallen);
  const last = fallen.at(-1);
  let oldestDueDate: string | null = null;
  for (const w of fallen) {
    if (w.dueDate < asOf && state.owesBeyondTolerance(w) && (oldestDueDate === null || w.dueDate < oldestDueDate)) oldestDueDate = w.dueDate;
  }

  let replayOn: string | null = null;
  const consider = (date: string) => {
    const day = date <= asOf ? addDays(asOf, 1) : date;
    if (replayOn === null || day < replayOn) replayOn = day;
  };
  if (!closed) {
    if (state.nextFeeOnDate < state.feesOnDates.length) consider(state.feesOnDates[state.nextFeeOnDate]!.date);
    if (state.lateFee) {
      for (const w of fallen) if (!w.lateFeeChecked && state.owesBeyondTolerance(w)) consider(lateFeeDate(state.lateFee, w.dueDate));
    }
    const penaltyAccrues = (state.terms.penaltyRatePercent ?? ZERO).gt(0)
      && fallen.some((w) => outstandingOf(w).principal.gt(0) && state.owesBeyondTolerance(w));
    if (penaltyAccrues) consider(addDays(asOf, 1));
    const next = upcoming[0];
    if (next && state.held.gt(0)) consider(next.dueDate);
  }
  // Interest paid ahead becomes income when its instalment falls due, even on a loan paid up in full.
  const paidAhead = state.instalments.find((w) => !w.fallen && w.paid.interest.gt(0));
  if (paidAhead) consider(paidAhead.dueDate);
  return {
    upcoming: closed ? [] : upcoming,
    lastFallen: last ? { dueDate: last.dueDate, owing: sum(outstandingOf(last)) } : null,
    oldestDueDate,
    replayOn,
  };
}
