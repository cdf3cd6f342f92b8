// What a caller sees of a replay: the working state reduced to balances, totals, status and the explanations.
// Kept apart from the steps so that nothing a step does depends on how the result is reported.
import { daysBetween } from '../../calendar.js';
import type { Decimal } from '../../money.js';
import { COMPONENTS } from '../allocation.js';
import type { Amounts, InstalmentState, LoanAccountState, LoanAccountStatus } from '../loanAccount.js';
import type { Instalment, Schedule } from '../schedule.js';
import { positionFactsOf } from './position.js';
import { interestInAdvanceOf, more, outstandingOf, receivableOf, sum, ZERO, zeros, type WorkingInstalment, type WorkingState } from './workingState.js';

/**
 * Days past due of the oldest instalment due before `asOf` that still owes more than `tolerance` (the terms'
 * underpayment tolerance); 0 when none.
 */
export function daysPastDue(instalments: readonly Pick<InstalmentState, 'dueDate' | 'outstanding'>[], asOf: string, tolerance: Decimal = ZERO): number {
  let oldest: string | null = null;
  for (const i of instalments) {
    if (i.dueDate < asOf && sum(i.outstanding).gt(tolerance) && (oldest === null || i.dueDate < oldest)) oldest = i.dueDate;
  }
  return oldest === null ? 0 : daysBetween(oldest, asOf);
}

/**
 * The replay's working state as the account a caller sees on `asOf`: a copy, so that working on (quoting a payoff
 * from the same state) never changes an account already reported.
 */
export function stateOf(working: WorkingState, asOf: string): LoanAccountState {
  const { instalments, tolerance } = working;
  // Each instalment's outstanding once: the states, the totals, the status and the days past due all read it.
  const outstandings = instalments.map(outstandingOf);
  const states: InstalmentState[] = instalments.map((w, k) => ({
    number: w.number,
    fromDate: w.fromDate,
    dueDate: w.dueDate,
    charged: { ...w.charged },
    paid: { ...w.paid },
    waived: { ...w.waived },
    writtenOff: { ...w.writtenOff },
    outstanding: outstandings[k]!,
  }));
  const receivable = zeros();
  const outstanding = zeros();
  const due = zeros();
  let interestInAdvance = ZERO;
  let overdue = false;
  instalments.forEach((w, k) => {
    const owes = outstandings[k]!;
    for (const c of COMPONENTS) {
      receivable[c] = more(receivable[c], receivableOf(w, c));
      outstanding[c] = more(outstanding[c], owes[c]);
      if (w.dueDate <= asOf) due[c] = more(due[c], owes[c]);
    }
    interestInAdvance = more(interestInAdvance, interestInAdvanceOf(w));
    if (!overdue && w.dueDate < asOf && sum(owes).gt(tolerance)) overdue = true;
  });

  const advance = working.advanceOn(asOf);
  // What the current schedule is made of, copied now: the working state goes on changing after this.
  const instalmentsNow = instalments.map((w) => ({ ...w, charged: { ...w.charged } }));
  const level = working.level;
  const trancheTotal = working.paidTranches.reduce((s, t) => s.plus(t.amount), ZERO);
  const status: LoanAccountStatus = working.writtenOff ? 'written_off' : sum(outstanding).isZero() ? 'closed' : overdue ? 'overdue' : 'active';
  const writtenOff = working.writtenOff && {
    on: working.writtenOff.on, total: working.writtenOff.total, recovered: working.writtenOff.recovered,
    recoverable: working.writtenOff.total.minus(working.writtenOff.recovered),
  };

  return new ReportedAccount({
    loanId: working.loan.id,
    currency: working.currency,
    asOf,
    instalments: states,
    allocations: [...working.allocations],
    waivers: [...working.waivers],
    refunds: [...working.refunds],
    prepayments: [...working.prepayments],
    payoffs: [...working.payoffs],
    ruleCharges: [...working.ruleCharges],
    tranches: [...working.tranches],
    writeOffs: [...working.writeOffs],
    recoveries: [...working.recoveries],
    writtenOff,
    restructures: [...working.restructures],
    restructuredOn: working.restructured?.on ?? null,
    totals: { receivable, outstanding, due },
    held: { advance, excess: working.held.minus(advance) },
    interestInAdvance,
    status,
    daysPastDue: daysPastDue(states, asOf, tolerance),
    journals: [...working.journals],
    position: positionFactsOf(working, asOf),
  }, working, instalmentsNow, level, trancheTotal);
}

type ReportedFields = Omit<LoanAccountState, 'schedule' | 'currentSchedule'>;

// The account's fields are its own, as they were when it was an object literal: assigned from `fields`.
interface ReportedAccount extends ReportedFields {}

/**
 * The account as reported, its schedules made when first read: a posting reads balances, not schedules, and a
 * resumed state has to make its schedule again. A class, not an object literal with getters: V8 gives every such
 * literal a hidden class of its own, made in the old generation and holding the getters' closures, so the working
 * state they reached outlived the young generation and was copied by every collection until a full one (a payment
 * file's replays were most of what its collections copied).
 */
class ReportedAccount implements LoanAccountState {
  readonly #working: WorkingState;
  readonly #instalmentsNow: readonly WorkingInstalment[];
  readonly #level: Decimal | null;
  readonly #trancheTotal: Decimal;
  #current: Schedule | undefined;

  constructor(fields: ReportedFields, working: WorkingState, instalmentsNow: readonly WorkingInstalment[], level: Decimal | null, trancheTotal: Decimal) {
    Object.assign(this, fields);
    this.#working = working;
    this.#instalmentsNow = instalmentsNow;
    this.#level = level;
    this.#trancheTotal = trancheTotal;
  }

  get schedule(): Schedule {
    return this.#working.schedule;
  }

  get currentSchedule(): Schedule {
    this.#current ??= currentScheduleOf(this.#working.schedule, this.#instalmentsNow, this.#level, this.#trancheTotal);
    return this.#current;
  }
}

/**
 * The booked schedule with the instalments as they stand (charges added, rescheduled by tranches, prepayments
 * and payoffs); what it lends includes the tranches paid out since booking.
 */
function currentScheduleOf(booked: Schedule, instalments: readonly WorkingInstalment[], level: Decimal | null, tranches: Decimal): Schedule {
  let left = booked.financedPrincipal.plus(tranches);
  const current: Instalment[] = instalments.map((w) => {
    left = left.minus(w.charged.principal);
    return {
      number: w.number,
      fromDate: w.fromDate,
      dueDate: w.dueDate,
      principal: w.charged.principal,
      interest: w.charged.interest,
      fee: w.charged.fee,
      penalty: w.charged.penalty,
      total: sum(w.charged),
      outstandingPrincipal: left,
    };
  });
  const totals = { principal: ZERO, interest: ZERO, fee: ZERO, penalty: ZERO, total: ZERO };
  for (const i of current) {
    totals.principal = totals.principal.plus(i.principal);
    totals.interest = totals.interest.plus(i.interest);
    totals.fee = totals.fee.plus(i.fee);
    totals.penalty = totals.penalty.plus(i.penalty);
    totals.total = totals.total.plus(i.total);
  }
  return {
    ...booked, levelAmount: level, instalments: current, totals,
    ...(tranches.isZero() ? {} : {
      principal: booked.principal.plus(tranches), financedPrincipal: booked.financedPrincipal.plus(tranches), netDisbursement: booked.netDisbursement.plus(tranches),
    }),
  };
}
