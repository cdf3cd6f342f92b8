// A loan account's state as of a business date, replayed from scratch from its terms, its disbursement and its
// transactions (DESIGN.md, "Servicing is replayable"). Nothing is updated in place: a backdated payment or a
// reversal is appended to the transactions and the loan is replayed, so the result is, by construction, what it
// would have been had the transactions arrived in value-date order. Pure: no clock, no database.
//
// Decisions (also in docs/decisions.md, "Loan account replay"):
// - Effective transactions are those with a value date on or before `asOf` that no reversal dated on or before
//   `asOf` reverses. They are applied in value-date order, ties in the order they were given (arrival order).
//   As of a date before its reversal, a reversed payment still counts: that is what the books showed then.
// - On each date the disbursement comes first, then instalments falling due (their interest and fees are
//   recognised: `chargesDue`, as the ledger decisions say), then held money is drawn on, then the transactions.
//   So a payment on a due date finds that instalment due today.
// - Repayments go through `allocateRepayment` with the loan's rule; money beyond what is due goes by the rule's
//   `future` option. Fees of an instalment not yet due that the rule lets a prepayment pay are recognised when
//   paid (a `chargesDue` on the payment's date), and only the rest on the due date, so no receivable ever goes
//   negative.
// - Interest is income when its instalment falls due. Interest paid on an instalment not yet due (by the rule's
//   `future` option, or a prepayment's interest earned to date, which sits on the regenerated instalment) is
//   held on the interest-in-advance liability; when the instalment falls due its whole interest is recognised
//   and the advance applied to it (liability debited, receivable credited). A payoff makes the current
//   instalment fall due on its date, so the interest earned to date it pays is income at once. A reschedule that
//   drops interest already paid in advance moves it from the liability to the borrower's excess.
// - Advance and excess are both the borrower's money, held on the excess account. Held money is drawn on
//   whenever something falls due (an instalment's due date, a charge), through the same rule, by a journal that
//   debits the excess account and credits the receivables. What stays held is reported as advance (what
//   `holdAsAdvance` keeps for future instalments) and excess (refundable).
// - A charge (fee or penalty, applied by rule or by hand) is owed from its value date: it is recognised then and
//   added to the instalment due on or after that date, or to the last instalment after maturity. So a late fee
//   charged after an instalment was missed is collected with the next instalment; after maturity it is overdue
//   at once.
// - A waiver forgives interest, fees or penalties of the instalment it names, or else of the instalments owing
//   that component, oldest first. It waives at most what is still owed (a backdated payment may since have paid
//   it); the rest is reported as not waived. Waiving what is not yet recognised recognises it first, so income
//   and receivable net to zero.
// - A repayment never reschedules: money beyond what is due goes by the rule's `future` option against the booked
//   schedule. A `prepayment` (reduce instalment or tenor) regenerates the remaining schedule and a `payoff`
//   collapses it; refunds pay held excess back; late fees, penalty interest and fees on dates arise from the terms
//   as time passes. Those decisions are in docs/decisions.md, "Payoff, prepayment, refunds and charges by rule".
// - Status: closed when no instalment owes anything; overdue when an instalment due before `asOf` still owes
//   more than the underpayment tolerance; otherwise active. Days past due count from the due date of the oldest
//   such instalment.
import type { LoanStatus } from './loanStatus.js';
import { InvalidField } from '../../errors.js';
import { daysBetween, parseDate } from '../calendar.js';
import { Decimal, minorUnits } from '../money.js';
import { allocateRepayment, COMPONENTS, type Allocation, type AllocationLine, type AllocationRule, type Component } from './allocation.js';
import type { AccountMapping, Journal } from './ledger.js';
import { earnedInterest, remainingSchedule } from './prepayment.js';
import { principalFreePeriods, PREPAYMENT_RESCHEDULES, type LoanTerms, type PrepaymentReschedule } from './product.js';
import { collapseOn, remainingAfter, replaceAfter } from './replay/reschedule.js';
import { advanceTo } from './replay/timePasses.js';
import {
  interestInAdvanceOf,
  outstandingOf,
  owingOf,
  receivableOf,
  repaymentOf,
  sum,
  WorkingState,
  ZERO,
  zeros,
  type WorkingInstalment,
} from './replay/workingState.js';
import { generateSchedule, type Instalment, type Schedule } from './schedule.js';

type DecimalInput = Decimal | string;
type ChargeComponent = Exclude<Component, 'principal'>;

export interface LoanAccount {
  id: string;
  terms: LoanTerms;
  rule: AllocationRule;
  principal: DecimalInput;
  disbursementDate: string;
  firstRepaymentDate?: string | undefined;
  accounts?: AccountMapping | undefined;
}

export type LoanTransaction =
  | { kind: 'repayment'; id: string; valueDate: string; amount: DecimalInput; channel?: string; externalRef?: string }
  /** `valueDate` is the date the reversal was entered: from then on the reversed transaction has no effect. */
  | { kind: 'reversal'; id: string; reverses: string; valueDate: string }
  | { kind: 'charge'; id: string; valueDate: string; component: 'fee' | 'penalty'; amount: DecimalInput }
  | { kind: 'waiver'; id: string; valueDate: string; component: ChargeComponent; amount: DecimalInput; instalment?: number }
  /** Pays held excess back to the borrower; at most the excess held on the value date. */
  | { kind: 'refund'; id: string; valueDate: string; amount: DecimalInput; channel?: string; externalRef?: string }
  /** Closes the loan: at least the payoff quote for the value date; anything above is held as excess. */
  | { kind: 'payoff'; id: string; valueDate: string; amount: DecimalInput; channel?: string; externalRef?: string }
  /** Pays what is due, interest earned to date, then principal; the remaining schedule is regenerated. */
  | { kind: 'prepayment'; id: string; valueDate: string; amount: DecimalInput; reschedule: PrepaymentReschedule; channel?: string; externalRef?: string };

export type Amounts = Record<Component, Decimal>;

export interface InstalmentState {
  number: number;
  /** The period the instalment's interest runs over starts here (disbursement, or the previous due date). */
  fromDate: string;
  dueDate: string;
  /** The schedule's amounts (as booked, or as a prepayment or payoff left them) plus charges added to this instalment. */
  charged: Amounts;
  paid: Amounts;
  waived: Amounts;
  /** charged − paid − waived. */
  outstanding: Amounts;
}

export interface AllocationExplanation {
  /** The repayment's, prepayment's or payoff's id, or null when money already held was drawn on. */
  repaymentId: string | null;
  valueDate: string;
  amount: Decimal;
  lines: AllocationLine[];
  /** Held after this allocation: advance and excess from this money. */
  held: Decimal;
  reasons: Allocation['held'];
}

export interface WaiverExplanation {
  waiverId: string;
  valueDate: string;
  component: ChargeComponent;
  lines: { instalment: number; amount: Decimal }[];
  /** Asked for but no longer owed. */
  notWaived: Decimal;
}

export interface RefundExplanation {
  refundId: string;
  valueDate: string;
  amount: Decimal;
  /** The excess that could be refunded on the value date, before this refund. */
  refundable: Decimal;
}

/** What must be paid on `date` to close the loan, held money credited. */
export interface PayoffQuote {
  date: string;
  principal: Decimal;
  /** Interest of instalments due and unpaid, plus what the current period has earned by `date`. */
  interest: Decimal;
  /** Fees due and unpaid, and fees charged (by hand or by rule) on instalments not yet due. */
  fees: Decimal;
  penalties: Decimal;
  /** The borrower's money already held (advance and excess), with unearned interest or fees paid in advance. */
  held: Decimal;
  /** principal + interest + fees + penalties − held, never below zero. */
  total: Decimal;
}

export interface PayoffExplanation {
  payoffId: string;
  valueDate: string;
  amount: Decimal;
  quote: PayoffQuote;
  /** What the payoff took off the schedule: interest not yet earned and instalment fees not yet due. */
  cancelled: { interest: Decimal; fee: Decimal };
  /** Paid above the quote: held as excess, refundable. */
  excess: Decimal;
}

/** The shape of what remains of a schedule after a date. */
export interface RemainingTerms {
  /** The level instalment (principal + interest; the principal part for equal-principal), null for a bullet. */
  level: Decimal | null;
  /** Instalments due after the date. */
  instalments: number;
  maturityDate: string | null;
  /** Interest those instalments still ask for. */
  interest: Decimal;
  principal: Decimal;
}

export interface PrepaymentExplanation {
  prepaymentId: string;
  valueDate: string;
  amount: Decimal;
  reschedule: PrepaymentReschedule;
  /** To instalments due on or before the value date, by the loan's rule. */
  paidDue: Decimal;
  /** Interest the current period had earned by the value date. */
  paidAccruedInterest: Decimal;
  principalReduced: Decimal;
  /** Beyond all principal: held as excess. */
  excess: Decimal;
  /** False when nothing was left for principal (or no instalment is still to come): the schedule stands. */
  rescheduled: boolean;
  before: RemainingTerms;
  after: RemainingTerms;
}

export interface RuleChargeExplanation {
  rule: 'lateFee' | 'penaltyInterest' | 'feeOnDate';
  valueDate: string;
  component: 'fee' | 'penalty';
  instalment: number;
  amount: Decimal;
  /** Why and how it was computed, in words. */
  reason: string;
}

/** The statuses a replay can tell from the money alone (loanStatus.ts holds the whole table). */
export type LoanAccountStatus = Extract<LoanStatus, 'active' | 'overdue' | 'closed'>;

export interface LoanAccountState {
  loanId: string;
  currency: string;
  asOf: string;
  /** The schedule the loan was booked with. */
  schedule: Schedule;
  /** The schedule as it stands after prepayments and payoffs, with charges added (the instalments' `charged`). */
  currentSchedule: Schedule;
  instalments: InstalmentState[];
  allocations: AllocationExplanation[];
  waivers: WaiverExplanation[];
  refunds: RefundExplanation[];
  prepayments: PrepaymentExplanation[];
  payoffs: PayoffExplanation[];
  ruleCharges: RuleChargeExplanation[];
  totals: {
    /** What the loan's receivable accounts hold: all unpaid principal, interest/fees/penalties once recognised. */
    receivable: Amounts;
    /** Everything the schedule (with charges) still asks for, due or not. */
    outstanding: Amounts;
    /** Outstanding on instalments due on or before `asOf`. */
    due: Amounts;
  };
  held: { advance: Decimal; excess: Decimal };
  /**
   * Interest paid on instalments not yet due as of `asOf`: the balance of the interest-in-advance account, owed
   * back to the borrower until those instalments fall due (then it is income) or a reschedule releases it.
   */
  interestInAdvance: Decimal;
  status: LoanAccountStatus;
  daysPastDue: number;
  journals: Journal[];
}

function amountOf(value: DecimalInput, currency: string, field: string): Decimal {
  let amount: Decimal;
  try {
    amount = new Decimal(value);
  } catch {
    throw new InvalidField(field, `${field} must be an amount`);
  }
  if (!amount.isFinite() || !amount.gt(0) || amount.decimalPlaces() > minorUnits(currency)) {
    throw new InvalidField(field, `${field} must be more than zero, in whole minor units of ${currency}`);
  }
  return amount;
}

function dateOf(text: string, field: string): string {
  try {
    parseDate(text);
  } catch {
    throw new InvalidField(field, `${field} must be a business date (YYYY-MM-DD)`);
  }
  return text;
}

/**
 * The transactions in effect as of `asOf`, in the order they apply: value date, then arrival. Refuses a list a
 * service should never have accepted (a repeated id, a reversal of nothing or of a reversal, two reversals of
 * one transaction), so that the replay never guesses.
 */
export function effectiveTransactions(transactions: readonly LoanTransaction[], asOf: string): LoanTransaction[] {
  const byId = new Map<string, LoanTransaction>();
  transactions.forEach((t, k) => {
    if (byId.has(t.id)) throw new InvalidField(`transactions[${k}].id`, `transaction ${t.id} is listed twice`);
    dateOf(t.valueDate, `transactions[${k}].valueDate`);
    byId.set(t.id, t);
  });
  const reversed = new Set<string>();
  const reversedEver = new Set<string>();
  transactions.forEach((t, k) => {
    if (t.kind !== 'reversal') return;
    const target = byId.get(t.reverses);
    if (!target || target.kind === 'reversal') {
      throw new InvalidField(`transactions[${k}].reverses`, `${t.reverses} is not a repayment, prepayment, payoff, refund, charge or waiver of this loan`);
    }
    if (reversedEver.has(t.reverses)) throw new InvalidField(`transactions[${k}].reverses`, `${t.reverses} is already reversed`);
    reversedEver.add(t.reverses);
    if (t.valueDate <= asOf) reversed.add(t.reverses);
  });
  const effective = transactions
    .map((t, position) => ({ t, position }))
    .filter(({ t }) => t.kind !== 'reversal' && t.valueDate <= asOf && !reversed.has(t.id));
  effective.sort((a, b) => (a.t.valueDate < b.t.valueDate ? -1 : a.t.valueDate > b.t.valueDate ? 1 : a.position - b.position));
  return effective.map(({ t }) => t);
}

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

export function replayLoan(loan: LoanAccount, transactions: readonly LoanTransaction[], asOf: string): LoanAccountState {
  return replay(loan, transactions, asOf, false).state;
}

/**
 * What must be paid on `date` to close the loan, given its transactions (those in effect on `date`): principal,
 * interest due and earned to date, fees and penalties owed, less the borrower's money already held. A `payoff`
 * transaction of at least `total` on that date closes the loan.
 */
export function payoffQuote(loan: LoanAccount, transactions: readonly LoanTransaction[], date: string): PayoffQuote {
  return replay(loan, transactions, date, true).quote!;
}

function replay(loan: LoanAccount, transactions: readonly LoanTransaction[], asOf: string, quoting: boolean): { state: LoanAccountState; quote: PayoffQuote | null } {
  dateOf(asOf, 'asOf');
  dateOf(loan.disbursementDate, 'disbursementDate');
  if (asOf < loan.disbursementDate) throw new InvalidField('asOf', 'a loan has no account before it is disbursed');
  const { terms } = loan;
  const request = { principal: loan.principal, disbursementDate: loan.disbursementDate, firstRepaymentDate: loan.firstRepaymentDate };
  const schedule = generateSchedule(terms, request);
  const effective = effectiveTransactions(transactions, asOf);
  effective.forEach((t) => {
    if (t.valueDate < loan.disbursementDate) throw new InvalidField('transactions', `transaction ${t.id} is valued before the disbursement on ${loan.disbursementDate}`);
  });
  const feesOnDates = [...(terms.feesOnDates ?? [])].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  feesOnDates.forEach((fee) => {
    if (fee.date < loan.disbursementDate) throw new InvalidField('terms.feesOnDates', `the fee "${fee.name}" falls due on ${fee.date}, before the disbursement`);
  });

  const state = new WorkingState(loan, request, schedule, feesOnDates);
  const { rule, currency } = state;

  const prepay = (t: Extract<LoanTransaction, { kind: 'prepayment' }>, field: string) => {
    const allowed = terms.prepayment?.allowed ?? PREPAYMENT_RESCHEDULES;
    if (!PREPAYMENT_RESCHEDULES.includes(t.reschedule)) throw new InvalidField(`${field}.reschedule`, 'a prepayment reschedules by reduceInstalment or reduceTenor');
    if (!allowed.includes(t.reschedule)) {
      throw new InvalidField(`${field}.reschedule`, `the loan's terms do not allow a prepayment to ${t.reschedule === 'reduceTenor' ? 'reduce the tenor' : 'reduce the instalment'}; allowed: ${allowed.join(', ') || 'none'}`);
    }
    if (t.reschedule === 'reduceTenor' && state.level === null) {
      throw new InvalidField(`${field}.reschedule`, 'a bullet loan repays its principal at maturity: a prepayment can reduce the instalment, not the tenor');
    }
    const amount = amountOf(t.amount, currency, `${field}.amount`);
    const date = t.valueDate;
    const before = remainingAfter(state, date);
    // What is due first, by the loan's rule; no instalment still to come is offered, so the rest comes back as excess.
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

    const rescheduled = principalPaid.gt(0);
    if (rescheduled) {
      const current = future[0]!;
      const earned = earnedInterest(terms, current.accrual, current.dueDate, date).amount;
      const principal = future.reduce((s, w) => s.plus(outstandingOf(w).principal), ZERO);
      if (principal.isZero()) {
        collapseOn(state, date);
      } else {
        const remaining = remainingSchedule(terms, {
          principal, valueDate: date, dueDates: future.map((w) => w.dueDate), reschedule: t.reschedule, level: state.level,
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
    state.prepayments.push({
      prepaymentId: t.id, valueDate: date, amount, reschedule: t.reschedule,
      paidDue: sum(due.totals), paidAccruedInterest: accruedPaid, principalReduced: principalPaid, excess: rest,
      rescheduled, before, after: remainingAfter(state, date),
    });
  };

  for (const t of effective) {
    advanceTo(state, t.valueDate);
    const field = `transactions.${t.id}`;
    switch (t.kind) {
      case 'repayment':
        state.apply(amountOf(t.amount, currency, `${field}.amount`), t.valueDate, t.id);
        break;
      case 'charge': {
        const amount = amountOf(t.amount, currency, `${field}.amount`);
        state.charge(state.chargedOn(t.valueDate), t.component, amount, t.valueDate);
        state.drawOnHeld(t.valueDate);
        break;
      }
      case 'waiver': {
        let left = amountOf(t.amount, currency, `${field}.amount`);
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
        break;
      }
      case 'refund': {
        const amount = amountOf(t.amount, currency, `${field}.amount`);
        const refundable = state.held.minus(state.advanceOn(t.valueDate));
        if (amount.gt(refundable)) {
          throw new InvalidField(`${field}.amount`, `only ${refundable.toFixed(minorUnits(currency))} ${currency} of excess is held on ${t.valueDate} to refund; the refund asks for ${amount.toFixed(minorUnits(currency))}`);
        }
        state.post({ kind: 'refund', amount }, t.valueDate);
        state.held = state.held.minus(amount);
        state.refunds.push({ refundId: t.id, valueDate: t.valueDate, amount, refundable });
        break;
      }
      case 'payoff': {
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
        break;
      }
      case 'prepayment':
        prepay(t, field);
        break;
      case 'reversal':
        break;
    }
  }
  advanceTo(state, asOf);
  const quote = quoting ? (collapseOn(state, asOf), state.quoteOn(asOf)) : null;
  return { state: stateOf(state, asOf), quote };
}

/** The replay's working state as the account a caller sees on `asOf`. */
function stateOf(working: WorkingState, asOf: string): LoanAccountState {
  const { instalments, tolerance } = working;
  const states: InstalmentState[] = instalments.map((w) => ({
    number: w.number,
    fromDate: w.fromDate,
    dueDate: w.dueDate,
    charged: w.charged,
    paid: w.paid,
    waived: w.waived,
    outstanding: outstandingOf(w),
  }));
  const total = (pick: (w: WorkingInstalment) => Amounts, where: (w: WorkingInstalment) => boolean = () => true): Amounts => {
    const amounts = zeros();
    for (const w of instalments) if (where(w)) for (const c of COMPONENTS) amounts[c] = amounts[c].plus(pick(w)[c]);
    return amounts;
  };
  const receivable = total((w) => Object.fromEntries(COMPONENTS.map((c) => [c, receivableOf(w, c)])) as Amounts);
  const interestInAdvance = instalments.reduce((s, w) => s.plus(interestInAdvanceOf(w)), ZERO);
  const outstanding = total(outstandingOf);
  const due = total(outstandingOf, (w) => w.dueDate <= asOf);

  const advance = working.advanceOn(asOf);
  const status: LoanAccountStatus = sum(outstanding).isZero()
    ? 'closed'
    : states.some((i) => i.dueDate < asOf && sum(i.outstanding).gt(tolerance)) ? 'overdue' : 'active';

  return {
    loanId: working.loan.id,
    currency: working.currency,
    asOf,
    schedule: working.schedule,
    currentSchedule: currentScheduleOf(working.schedule, instalments, working.level),
    instalments: states,
    allocations: working.allocations,
    waivers: working.waivers,
    refunds: working.refunds,
    prepayments: working.prepayments,
    payoffs: working.payoffs,
    ruleCharges: working.ruleCharges,
    totals: { receivable, outstanding, due },
    held: { advance, excess: working.held.minus(advance) },
    interestInAdvance,
    status,
    daysPastDue: daysPastDue(states, asOf, tolerance),
    journals: working.journals,
  };
}

/** The booked schedule with the instalments as they stand (charges added, rescheduled by prepayments and payoffs). */
function currentScheduleOf(booked: Schedule, instalments: readonly WorkingInstalment[], level: Decimal | null): Schedule {
  let left = booked.financedPrincipal;
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
  return { ...booked, levelAmount: level, instalments: current, totals };
}
