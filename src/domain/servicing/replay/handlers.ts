// One handler per kind of transaction. The replay has already brought the loan to the transaction's value date
// (instalments due that day have fallen due, held money has been drawn on), so a handler only does what its
// transaction means on that loan. `handlers` is typed over every kind of `LoanTransaction`: a new kind does not
// compile until it has a handler here.
import { InvalidField } from '../../../errors.js';
import { Decimal, minorUnits } from '../../money.js';
import { allocateRepayment, COMPONENTS, type AllocationLine } from '../allocation.js';
import type { LoanTransaction, WaiverExplanation, WriteOffExplanation } from '../loanAccount.js';
import { earnedInterest, remainingSchedule } from '../prepayment.js';
import { principalFreePeriods, PREPAYMENT_RESCHEDULES, type PrepaymentReschedule } from '../product.js';
import { undisbursedOf } from '../tranches.js';
import { collapseOn, remainingAfter, replaceAfter } from './reschedule.js';
import { restructure } from './restructure.js';
import { amountOf } from './transactions.js';
import { outstandingOf, owingOf, receivableOf, repaymentOf, sum, ZERO, zeros, type WorkingState } from './workingState.js';

type Of<K extends LoanTransaction['kind']> = Extract<LoanTransaction, { kind: K }>;
/** `field` names the transaction in errors (`transactions.<id>`), so a refusal points at what to correct. */
type Handler<K extends LoanTransaction['kind']> = (state: WorkingState, t: Of<K>, field: string) => void;

const assertNotWrittenOff = (state: WorkingState, t: LoanTransaction, field: string) => state.assertNotWrittenOff(t.kind, field);

/** Money against what is owed, by the loan's rule; what the rule does not spend is held. After a write-off in full, a recovery. */
function repayment(state: WorkingState, t: Of<'repayment'>, field: string): void {
  const amount = amountOf(t.amount, state.currency, `${field}.amount`);
  if (state.writtenOff) recover(state, t, amount);
  else state.apply(amount, t.valueDate, t.id);
}

/** Money on a loan written off in full: income up to what was written off and not yet recovered, the rest held as excess. */
function recover(state: WorkingState, t: Of<'repayment'>, amount: Decimal): void {
  const written = state.writtenOff!;
  const recovered = Decimal.min(amount, written.total.minus(written.recovered));
  const held = amount.minus(recovered);
  state.post({ kind: 'recovery', amount: recovered, excess: held }, t.valueDate);
  state.writtenOff = { ...written, recovered: written.recovered.plus(recovered) };
  state.held = state.held.plus(held);
  state.recoveries.push({ repaymentId: t.id, valueDate: t.valueDate, amount, recovered, held });
}

/**
 * A fee or penalty owed from its value date, collected with the instalment due next (the last after maturity);
 * refused when it would take what the loan owes to the amount ceiling.
 */
function charge(state: WorkingState, t: Of<'charge'>, field: string): void {
  assertNotWrittenOff(state, t, field);
  const amount = amountOf(t.amount, state.currency, `${field}.amount`);
  state.charge(state.chargedOn(t.valueDate), t.component, amount, t.valueDate);
  state.assertOwesBelowCeiling(`${field}.amount`, `a ${t.component} of ${amount.toFixed()} ${state.currency}`, t.valueDate);
  state.drawOnHeld(t.valueDate);
}

/**
 * Forgives at most what is still owed (a backdated payment may since have paid it) of the named instalment or
 * of every instalment oldest first. Waiving what is not yet recognised recognises it first, so income and
 * receivable net to zero.
 */
function waiver(state: WorkingState, t: Of<'waiver'>, field: string): void {
  assertNotWrittenOff(state, t, field);
  let left = amountOf(t.amount, state.currency, `${field}.amount`);
  const c = t.component;
  if (t.instalment !== undefined && !state.instalments.some((i) => i.number === t.instalment)) {
    throw new InvalidField(`${field}.instalment`, `the loan has no instalment ${t.instalment}`);
  }
  const targets = t.instalment !== undefined ? state.instalments.filter((i) => i.number === t.instalment) : state.instalments;
  const lines: WaiverExplanation['lines'] = [];
  for (const w of targets) {
    const owed = outstandingOf(w)[c];
    const amount = Decimal.min(owed, left);
    if (!amount.gt(0)) continue;
    state.recognise(w, t.valueDate, { [c]: amount });
    w.waived[c] = w.waived[c].plus(amount);
    state.post({ kind: 'waiver', component: c, amount }, t.valueDate);
    lines.push({ instalment: w.number, amount });
    left = left.minus(amount);
  }
  state.waivers.push({ waiverId: t.id, valueDate: t.valueDate, component: c, lines, notWaived: left });
}

/** Pays held excess back; an advance the rule keeps for future instalments is not refundable. */
function refund(state: WorkingState, t: Of<'refund'>, field: string): void {
  const { currency } = state;
  const amount = amountOf(t.amount, currency, `${field}.amount`);
  const refundable = state.held.minus(state.advanceOn(t.valueDate));
  if (amount.gt(refundable)) {
    throw new InvalidField(`${field}.amount`, `only ${refundable.toFixed(minorUnits(currency))} ${currency} of excess is held on ${t.valueDate} to refund; the refund asks for ${amount.toFixed(minorUnits(currency))}`);
  }
  state.post({ kind: 'refund', amount }, t.valueDate);
  state.held = state.held.minus(amount);
  state.refunds.push({ refundId: t.id, valueDate: t.valueDate, amount, refundable });
}

/** Collapses the schedule to what closes the loan today and pays it; at least the quote, the rest held as excess. */
function payoff(state: WorkingState, t: Of<'payoff'>, field: string): void {
  assertNotWrittenOff(state, t, field);
  const { currency } = state;
  const amount = amountOf(t.amount, currency, `${field}.amount`);
  const cancelled = collapseOn(state, t.valueDate);
  const quote = state.quoteOn(t.valueDate);
  if (amount.lt(quote.total)) {
    throw new InvalidField(`${field}.amount`, `the payoff amount must be at least ${quote.total.toFixed(minorUnits(currency))} ${currency} on ${t.valueDate} (the payoff quote); it is ${amount.toFixed(minorUnits(currency))}`);
  }
  state.drawOnHeld(t.valueDate);
  const heldBefore = state.held;
  state.apply(amount, t.valueDate, t.id);
  state.paidOff = true;
  state.payoffs.push({ payoffId: t.id, valueDate: t.valueDate, amount, quote, cancelled, excess: state.held.minus(heldBefore) });
}

function assertReschedule(state: WorkingState, t: Of<'prepayment'>, field: string): void {
  const allowed = state.terms.prepayment?.allowed ?? PREPAYMENT_RESCHEDULES;
  if (!PREPAYMENT_RESCHEDULES.includes(t.reschedule)) throw new InvalidField(`${field}.reschedule`, 'a prepayment reschedules by reduceInstalment or reduceTenor');
  if (!allowed.includes(t.reschedule)) {
    throw new InvalidField(`${field}.reschedule`, `the loan's terms do not allow a prepayment to ${t.reschedule === 'reduceTenor' ? 'reduce the tenor' : 'reduce the instalment'}; allowed: ${allowed.join(', ') || 'none'}`);
  }
  if (t.reschedule === 'reduceTenor' && state.level === null) {
    throw new InvalidField(`${field}.reschedule`, 'a bullet loan repays its principal at maturity: a prepayment can reduce the instalment, not the tenor');
  }
}

/**
 * Pays a prepayment's money in its order: what is due by the loan's rule, then the interest the current period
 * has earned, then principal of the instalments still to come; what is left is held as excess.
 */
function payDueThenEarnedThenPrincipal(state: WorkingState, t: Of<'prepayment'>, amount: Decimal) {
  const { currency, rule, terms } = state;
  const date = t.valueDate;
  // No instalment still to come is offered to the rule, so what is not due comes back as excess.
  const due = allocateRepayment({ currency, rule, payment: { amount, valueDate: date }, instalments: owingOf(state.instalments.filter((w) => w.dueDate <= date)) });
  let inAdvance = state.book(due.lines, date);
  const lines: AllocationLine[] = [...due.lines];
  let rest = due.excess;
  const future = state.instalments.filter((w) => w.dueDate > date);
  let accruedPaid = ZERO;
  let principalPaid = ZERO;
  if (future.length > 0 && rest.gt(0)) {
    const current = future[0]!;
    const earned = earnedInterest(terms, current.accrual, current.dueDate, date);
    // Interest already paid or waived on instalments still to come counts towards what has been earned (a
    // reschedule pools it the same way); what is owed of it sits on the instalments that carry it — later
    // ones too, when a grace on interest deferred it.
    const settled = future.reduce((s, w) => s.plus(w.paid.interest).plus(w.waived.interest), ZERO);
    accruedPaid = Decimal.min(rest, Decimal.max(earned.amount.minus(settled), ZERO));
    const more: AllocationLine[] = [];
    let left = accruedPaid;
    for (const w of future) {
      const part = Decimal.min(left, outstandingOf(w).interest);
      if (!part.gt(0)) continue;
      more.push({
        instalment: w.number, dueDate: w.dueDate, component: 'interest', amount: part,
        reason: `interest earned by ${date} (${earned.days} of ${earned.of} days of instalment ${current.number}'s period from ${current.accrual.from}${current.accrual.earnedBefore.gt(0) ? ', with interest deferred before it' : ''}); paid before principal`,
      });
      left = left.minus(part);
    }
    accruedPaid = accruedPaid.minus(left);
    rest = rest.minus(accruedPaid);
    for (const w of future) {
      const part = Decimal.min(rest, outstandingOf(w).principal);
      if (!part.gt(0)) continue;
      more.push({ instalment: w.number, dueDate: w.dueDate, component: 'principal', amount: part, reason: `prepaid principal; the schedule is regenerated from ${date} to ${t.reschedule}` });
      rest = rest.minus(part);
      principalPaid = principalPaid.plus(part);
    }
    inAdvance = inAdvance.plus(state.book(more, date));
    lines.push(...more);
  }
  state.post(repaymentOf(lines, rest, inAdvance), date);
  state.held = state.held.plus(rest);
  state.allocations.push({ repaymentId: t.id, valueDate: date, amount, lines, held: rest, reasons: rest.gt(0) ? { excess: 'more than everything due and all principal; held as excess, refundable' } : {} });
  return { paidDue: sum(due.totals), accruedPaid, principalPaid, excess: rest };
}

/**
 * Regenerates the instalments after `date` for the principal they still owe (plus `added`, a tranche paid out on
 * `date`); with none left, the schedule collapses as for a payoff. The first new instalment keeps the interest
 * its period earned before `date`.
 */
function regenerateAfter(state: WorkingState, date: string, reschedule: PrepaymentReschedule, added: Decimal = ZERO): void {
  const { terms } = state;
  const future = state.instalments.filter((w) => w.dueDate > date);
  const current = future[0]!;
  const earned = earnedInterest(terms, current.accrual, current.dueDate, date).amount;
  const principal = future.reduce((s, w) => s.plus(outstandingOf(w).principal), added);
  if (principal.isZero()) {
    collapseOn(state, date);
  } else {
    const remaining = remainingSchedule(terms, {
      principal, valueDate: date, dueDates: future.map((w) => w.dueDate), reschedule, level: state.level,
      principalFreeLeft: terms.amortization.kind === 'bullet' ? 0 : principalFreePeriods(terms) - (current.number - 1),
    });
    replaceAfter(state, date, remaining.instalments.map((i, k) => ({
      number: current.number + k,
      fromDate: k === 0 ? current.fromDate : future[k - 1]!.dueDate,
      dueDate: i.dueDate,
      principal: i.principal,
      interest: k === 0 ? earned.plus(i.interest) : i.interest,
      fee: i.fee,
      accrual: k === 0 ? { from: date, interest: i.interest, earnedBefore: earned } : { from: future[k - 1]!.dueDate, interest: i.interest, earnedBefore: ZERO },
    })));
    state.level = remaining.level;
  }
  state.drawOnHeld(date);
}

/** Pays down principal ahead of the schedule and regenerates what remains to the reschedule the borrower chose. */
function prepayment(state: WorkingState, t: Of<'prepayment'>, field: string): void {
  assertNotWrittenOff(state, t, field);
  assertReschedule(state, t, field);
  const amount = amountOf(t.amount, state.currency, `${field}.amount`);
  const date = t.valueDate;
  const before = remainingAfter(state, date);
  const paid = payDueThenEarnedThenPrincipal(state, t, amount);
  // With nothing left for principal (or no instalment still to come) the schedule stands.
  const rescheduled = paid.principalPaid.gt(0);
  if (rescheduled) regenerateAfter(state, date, t.reschedule);
  state.prepayments.push({
    prepaymentId: t.id, valueDate: date, amount, reschedule: t.reschedule,
    paidDue: paid.paidDue, paidAccruedInterest: paid.accruedPaid, principalReduced: paid.principalPaid, excess: paid.excess,
    rescheduled, before, after: remainingAfter(state, date),
  });
}

/**
 * Pays out a later tranche: the principal receivable grows by it (a disbursement journal, no fee), and the
 * instalments still to come are regenerated for the principal they owe plus the tranche, by the product's rule
 * over the same due dates, interest on the tranche only from its date (tranches.ts has the decisions). Refused
 * when what the loan then owes, the new interest with it, reaches the amount ceiling.
 */
function tranche(state: WorkingState, t: Of<'tranche'>, field: string): void {
  assertNotWrittenOff(state, t, field);
  const { currency } = state;
  const amount = amountOf(t.amount, currency, `${field}.amount`);
  const date = t.valueDate;
  const places = minorUnits(currency);
  const approved = new Decimal(state.loan.approvedPrincipal ?? state.loan.principal);
  const paid = [{ transactionId: null, valueDate: state.loan.disbursementDate, amount: state.schedule.principal }, ...state.paidTranches.map((x) => ({ transactionId: x.trancheId, valueDate: x.valueDate, amount: x.amount }))];
  const undisbursed = undisbursedOf(approved, paid);
  if (amount.gt(undisbursed)) {
    throw new InvalidField(`${field}.amount`, `only ${undisbursed.toFixed(places)} ${currency} of the approved ${approved.toFixed(places)} is left to pay out; the tranche asks for ${amount.toFixed(places)}`);
  }
  if (!state.instalments.some((w) => w.dueDate > date)) {
    throw new InvalidField(`${field}.valueDate`, `a tranche is paid out before the loan's last due date, ${state.instalments.at(-1)!.dueDate}: no instalment is left to repay it`);
  }
  const before = remainingAfter(state, date);
  state.post({ kind: 'disbursement', principal: amount, feeFinanced: ZERO, feeDeducted: ZERO }, date);
  regenerateAfter(state, date, 'reduceInstalment', amount);
  state.assertOwesBelowCeiling(`${field}.amount`, `a tranche of ${amount.toFixed()} ${currency}`, date);
  state.tranches.push({ trancheId: t.id, valueDate: date, amount, before, after: remainingAfter(state, date) });
  state.paidTranches.push({ trancheId: t.id, valueDate: date, amount });
}

/**
 * Gives up what the borrower owes. In full (no amount): the schedule collapses on the date as for a payoff (the
 * interest earned to date falls due, later interest and fees are cancelled), held money is drawn on, and every
 * component still owed moves to its write-off expense; the loan is written off. In part: `amount` of `component`,
 * oldest instalment first, of what the books hold as receivable (principal: of every instalment, the instalments
 * still to come then regenerated for the principal they still owe, to a lower instalment).
 */
function writeOff(state: WorkingState, t: Of<'writeOff'>, field: string): void {
  assertNotWrittenOff(state, t, field);
  const date = t.valueDate;
  const { currency } = state;
  const places = minorUnits(currency);
  const amounts = zeros();
  const lines: WriteOffExplanation['lines'] = [];
  const give = (w: WorkingState['instalments'][number], c: (typeof COMPONENTS)[number], amount: Decimal) => {
    w.writtenOff[c] = w.writtenOff[c].plus(amount);
    amounts[c] = amounts[c].plus(amount);
    lines.push({ instalment: w.number, component: c, amount });
  };
  if (t.amount === undefined) {
    if (t.component !== undefined) throw new InvalidField(`${field}.component`, 'a write-off in full names no component: it gives up everything owed');
    if (state.settled()) throw new InvalidField(`${field}.valueDate`, `nothing is owed on ${date}: there is nothing to write off`);
    collapseOn(state, date);
    state.drawOnHeld(date);
    for (const w of state.instalments) {
      state.recognise(w, date);
      const owed = outstandingOf(w);
      for (const c of COMPONENTS) if (owed[c].gt(0)) give(w, c, owed[c]);
    }
    state.post({ kind: 'writeOff', amounts }, date);
    state.writtenOff = { on: date, total: sum(amounts), recovered: ZERO };
    state.writeOffs.push({ writeOffId: t.id, valueDate: date, full: true, component: null, amounts, lines, rescheduled: false });
    return;
  }
  const c = t.component;
  if (c === undefined || !(COMPONENTS as readonly string[]).includes(c)) {
    throw new InvalidField(`${field}.component`, 'a partial write-off names the component it gives up: principal, interest, fee or penalty');
  }
  const amount = amountOf(t.amount, currency, `${field}.amount`);
  const available = state.instalments.map((w) => (c === 'principal' ? outstandingOf(w).principal : Decimal.min(outstandingOf(w)[c], receivableOf(w, c))));
  const most = available.reduce((a, b) => a.plus(b), ZERO);
  if (amount.gt(most)) {
    throw new InvalidField(`${field}.amount`, `at most ${most.toFixed(places)} ${currency} of ${c} can be written off on ${date}; the write-off asks for ${amount.toFixed(places)}`);
  }
  let left = amount;
  let future = false;
  state.instalments.forEach((w, k) => {
    const part = Decimal.min(left, available[k]!);
    if (!part.gt(0)) return;
    give(w, c, part);
    left = left.minus(part);
    if (w.dueDate > date) future = true;
  });
  state.post({ kind: 'writeOff', amounts }, date);
  const rescheduled = c === 'principal' && future;
  if (rescheduled) regenerateAfter(state, date, 'reduceInstalment');
  state.writeOffs.push({ writeOffId: t.id, valueDate: date, full: false, component: c, amounts, lines, rescheduled });
}

/**
 * A reversal acts before the replay: `effectiveTransactions` leaves out the transaction it reverses (from the
 * reversal's date on) and the reversal itself, so the loan replays as if the reversed money never arrived.
 */
function reversal(): void {}

const handlers: { [K in LoanTransaction['kind']]: Handler<K> } = {
  repayment,
  charge,
  waiver,
  refund,
  payoff,
  prepayment,
  tranche,
  writeOff,
  restructure,
  reversal,
};

/**
 * Applies `t` to the loan by the handler of its kind. A kind with no handler (a kind this code does not know)
 * changes nothing on the loan, so the loan still replays and a statement still lists the transaction.
 */
export function handle(state: WorkingState, t: LoanTransaction): void {
  if (!Object.hasOwn(handlers, t.kind)) return;
  // TypeScript cannot tie `handlers[t.kind]` to `t`'s own kind; the mapped type above already did.
  const handler = handlers[t.kind] as Handler<LoanTransaction['kind']>;
  handler(state, t, `transactions.${t.id}`);
}
