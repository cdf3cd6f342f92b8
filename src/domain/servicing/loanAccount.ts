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
import {
  allocateRepayment,
  COMPONENTS,
  type Allocation,
  type AllocationLine,
  type AllocationRule,
  type Component,
} from './allocation.js';
import { isLate, lateFeeAmount, lateFeeDate, penaltyInterest } from './chargeRules.js';
import { journalFor, STANDARD_MAPPING, type AccountMapping, type FinancialEvent, type Journal, type JournalLine } from './ledger.js';
import { earnedInterest, remainingSchedule, type PeriodAccrual } from './prepayment.js';
import { principalFreePeriods, PREPAYMENT_RESCHEDULES, type LoanTerms, type PrepaymentReschedule } from './product.js';
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

const ZERO = new Decimal(0);
const zeros = (): Amounts => ({ penalty: ZERO, fee: ZERO, interest: ZERO, principal: ZERO });
const sum = (amounts: Amounts) => COMPONENTS.reduce((total, c) => total.plus(amounts[c]), ZERO);
const CHARGES = ['interest', 'fee', 'penalty'] as const;

interface Working {
  number: number;
  fromDate: string;
  dueDate: string;
  charged: Amounts;
  paid: Amounts;
  waived: Amounts;
  /** Interest, fees and penalties posted as receivable so far; principal is recognised at disbursement. */
  recognised: Amounts;
  /** Fees and penalties charged on it by hand or by rule (part of `charged`): a reschedule carries them over. */
  added: { fee: Decimal; penalty: Decimal };
  accrual: PeriodAccrual;
  /** Its interest and fees have fallen due (recognised). */
  fallen: boolean;
  /** Its late fee day has passed (charged or not). */
  lateFeeChecked: boolean;
}

/** An instalment as a schedule (booked or regenerated) plans it: nothing paid, waived or fallen due yet. */
function plannedInstalment(
  plan: { number: number; fromDate: string; dueDate: string; fee: Decimal; interest: Decimal; principal: Decimal }, accrual: PeriodAccrual,
): Working {
  return {
    number: plan.number,
    fromDate: plan.fromDate,
    dueDate: plan.dueDate,
    charged: { penalty: ZERO, fee: plan.fee, interest: plan.interest, principal: plan.principal },
    paid: zeros(),
    waived: zeros(),
    recognised: { ...zeros(), principal: plan.principal },
    added: { fee: ZERO, penalty: ZERO },
    accrual,
    fallen: false,
    lateFeeChecked: false,
  };
}

const outstandingOf = (w: Working): Amounts =>
  Object.fromEntries(COMPONENTS.map((c) => [c, w.charged[c].minus(w.paid[c]).minus(w.waived[c])])) as Amounts;

/** Interest paid on an instalment that has not fallen due: held on the interest-in-advance account, not yet income. */
const interestInAdvanceOf = (w: Working): Decimal => (w.fallen ? ZERO : w.paid.interest);

/** What the receivable account holds for a component of `w`: what was recognised, less what was paid from it or waived. */
const receivableOf = (w: Working, c: Component): Decimal =>
  w.recognised[c].minus(w.paid[c]).minus(w.waived[c]).plus(c === 'interest' ? interestInAdvanceOf(w) : ZERO);

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
  const { terms, rule } = loan;
  const currency = terms.currency;
  const request = { principal: loan.principal, disbursementDate: loan.disbursementDate, firstRepaymentDate: loan.firstRepaymentDate };
  const schedule = generateSchedule(terms, request);
  const effective = effectiveTransactions(transactions, asOf);
  effective.forEach((t) => {
    if (t.valueDate < loan.disbursementDate) throw new InvalidField('transactions', `transaction ${t.id} is valued before the disbursement on ${loan.disbursementDate}`);
  });
  const tolerance = terms.underpaymentTolerance ?? ZERO;
  const feesOnDates = [...(terms.feesOnDates ?? [])].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  feesOnDates.forEach((fee) => {
    if (fee.date < loan.disbursementDate) throw new InvalidField('terms.feesOnDates', `the fee "${fee.name}" falls due on ${fee.date}, before the disbursement`);
  });

  const journals: Journal[] = [];
  const accounts = loan.accounts ?? STANDARD_MAPPING;
  const context = (valueDate: string) => ({ loanId: loan.id, currency, valueDate, ...(loan.accounts ? { accounts: loan.accounts } : {}) });
  const post = (event: FinancialEvent, valueDate: string) => {
    const journal = journalFor(event, context(valueDate));
    if (journal.lines.length > 0) journals.push(journal);
  };

  // Interest deferred by a grace on interest is earned as it accrues: the same loan without the grace says how much.
  const accruing = terms.grace.interestPeriods > 0 ? generateSchedule({ ...terms, grace: { ...terms.grace, interestPeriods: 0 } }, request).instalments : schedule.instalments;
  let deferred = ZERO;
  let instalments: Working[] = schedule.instalments.map((i, k) => {
    const accrual = { from: i.fromDate, interest: accruing[k]!.interest, earnedBefore: deferred };
    deferred = deferred.plus(accruing[k]!.interest).minus(i.interest);
    return plannedInstalment(i, accrual);
  });
  const allocations: AllocationExplanation[] = [];
  const waivers: WaiverExplanation[] = [];
  const refunds: RefundExplanation[] = [];
  const prepayments: PrepaymentExplanation[] = [];
  const payoffs: PayoffExplanation[] = [];
  const ruleCharges: RuleChargeExplanation[] = [];
  let held = ZERO;
  let level = schedule.levelAmount;
  /** Set by a payoff: no charge by rule arises after it. */
  let paidOff = false;
  /** Penalty interest is recognised up to here. */
  let penaltyFrom = loan.disbursementDate;
  let nextFeeOnDate = 0;

  const fee = terms.fees.disbursement;
  post({
    kind: 'disbursement',
    principal: schedule.principal,
    feeFinanced: fee?.treatment === 'financed' ? fee.amount : ZERO,
    feeDeducted: fee?.treatment === 'deducted' ? fee.amount : ZERO,
  }, loan.disbursementDate);

  /**
   * Posts as receivable what is charged on instalment `w` but not yet recognised; with `upTo`, only enough for the
   * receivable to cover `upTo` of each component (what is about to be paid or waived).
   */
  const recognise = (w: Working, valueDate: string, upTo?: Partial<Amounts>) => {
    const event = { kind: 'chargesDue' as const, interest: ZERO, fee: ZERO, penalty: ZERO };
    for (const c of CHARGES) {
      let amount = w.charged[c].minus(w.recognised[c]);
      if (upTo) amount = Decimal.min(amount, (upTo[c] ?? ZERO).minus(receivableOf(w, c)));
      if (amount.gt(0)) {
        event[c] = amount;
        w.recognised[c] = w.recognised[c].plus(amount);
      }
    }
    post(event, valueDate);
  };

  /** A fee or penalty owed from `valueDate` on instalment `w`: recognised at once. */
  const charge = (w: Working, component: 'fee' | 'penalty', amount: Decimal, valueDate: string) => {
    w.charged[component] = w.charged[component].plus(amount);
    w.recognised[component] = w.recognised[component].plus(amount);
    w.added[component] = w.added[component].plus(amount);
    post({ kind: 'chargesDue', interest: ZERO, fee: ZERO, penalty: ZERO, [component]: amount }, valueDate);
  };
  /** The instalment a charge dated `valueDate` is collected with: the next one due, or the last after maturity. */
  const chargedOn = (valueDate: string) => instalments.find((i) => i.dueDate >= valueDate) ?? instalments.at(-1)!;

  /**
   * Marks allocation lines paid, recognising first whatever fees and penalties they pay that were not yet
   * recognised. Interest paid on an instalment not yet fallen due is not income yet: it is held as interest in
   * advance until the instalment falls due. Returns that interest (the repayment credits it to the liability).
   */
  const book = (lines: readonly AllocationLine[], valueDate: string): Decimal => {
    const byNumber = new Map(instalments.map((w) => [w.number, w]));
    const paidNow = new Map<number, Amounts>();
    for (const line of lines) {
      const amounts = paidNow.get(line.instalment) ?? zeros();
      amounts[line.component] = amounts[line.component].plus(line.amount);
      paidNow.set(line.instalment, amounts);
    }
    let inAdvance = ZERO;
    for (const [number, amounts] of paidNow) {
      const w = byNumber.get(number)!;
      if (!w.fallen) {
        inAdvance = inAdvance.plus(amounts.interest);
        amounts.interest = ZERO;
      }
      recognise(w, valueDate, amounts);
    }
    for (const line of lines) {
      const w = byNumber.get(line.instalment)!;
      w.paid[line.component] = w.paid[line.component].plus(line.amount);
    }
    return inAdvance;
  };

  /** A repayment's journal event: paid off the receivables, interest paid in advance to its liability, the rest held. */
  const repaymentOf = (lines: readonly AllocationLine[], excess: Decimal, inAdvance: Decimal): FinancialEvent => {
    const allocated = totalsOf(lines);
    return { kind: 'repayment', allocated: { ...allocated, interest: allocated.interest.minus(inAdvance) }, excess, interestInAdvance: inAdvance };
  };

  /** Instalment `w` falls due on `date`: what it charges is recognised, and interest paid on it in advance is earned. */
  const fallDue = (w: Working, date: string) => {
    const advance = interestInAdvanceOf(w);
    recognise(w, date);
    w.fallen = true;
    post({ kind: 'advanceInterestApplied', amount: advance }, date);
  };

  const owingOf = (list: readonly Working[]) => list.map((w) => ({ number: w.number, dueDate: w.dueDate, outstanding: outstandingOf(w) }));
  const totalsOf = (lines: readonly AllocationLine[]): Amounts => {
    const totals = zeros();
    for (const line of lines) totals[line.component] = totals[line.component].plus(line.amount);
    return totals;
  };

  /** Applies money (a repayment, or held money drawn on) by the loan's rule. */
  const apply = (amount: Decimal, valueDate: string, repaymentId: string | null) => {
    const allocation = allocateRepayment({ currency, rule, payment: { amount, valueDate }, instalments: owingOf(instalments) });
    const inAdvance = book(allocation.lines, valueDate);
    const kept = allocation.advance.plus(allocation.excess);
    if (repaymentId !== null) {
      post(repaymentOf(allocation.lines, kept, inAdvance), valueDate);
      held = held.plus(kept);
    } else {
      // Held money paid to receivables: the refund and repayment journals of the same money, the cash legs netted.
      const drawn = allocation.allocated;
      const lines: JournalLine[] = [
        ...journalFor({ kind: 'refund', amount: drawn }, context(valueDate)).lines,
        ...journalFor(repaymentOf(allocation.lines, ZERO, inAdvance), context(valueDate)).lines,
      ];
      const netted = lines.filter((l) => l.account !== accounts.cash);
      if (netted.length > 0) journals.push({ loanId: loan.id, currency, valueDate, lines: netted });
      held = held.minus(drawn);
    }
    if (allocation.lines.length > 0 || repaymentId !== null) {
      allocations.push({ repaymentId, valueDate, amount, lines: allocation.lines, held: kept, reasons: allocation.held });
    }
  };

  const drawOnHeld = (valueDate: string) => {
    if (held.gt(0)) apply(held, valueDate, null);
  };

  /** Held money that is an advance for instalments due after `date` (only a `holdAsAdvance` rule keeps one). */
  const advanceOn = (date: string) => {
    if (rule.future !== 'holdAsAdvance') return ZERO;
    const ahead = instalments.filter((w) => w.dueDate > date).reduce((s, w) => rule.futureOrder.reduce((t, c) => t.plus(outstandingOf(w)[c]), s), ZERO);
    return Decimal.min(held, ahead);
  };

  const owesBeyondTolerance = (w: Working) => isLate(terms, sum(outstandingOf(w)));

  /** Recognises penalty interest on principal overdue from `penaltyFrom` to `date`, per overdue instalment. */
  const accruePenaltyTo = (date: string): boolean => {
    let charged = false;
    if (date > penaltyFrom && (terms.penaltyRatePercent ?? ZERO).gt(0) && !paidOff) {
      for (const w of instalments) {
        const principal = outstandingOf(w).principal;
        if (w.dueDate > penaltyFrom || !principal.gt(0) || !owesBeyondTolerance(w)) continue;
        const { amount, how } = penaltyInterest(terms, principal, penaltyFrom, date);
        if (!amount.gt(0)) continue;
        charge(w, 'penalty', amount, date);
        ruleCharges.push({ rule: 'penaltyInterest', valueDate: date, component: 'penalty', instalment: w.number, amount, reason: `instalment ${w.number} was due ${w.dueDate}: ${how}` });
        charged = true;
      }
    }
    if (date > penaltyFrom) penaltyFrom = date;
    return charged;
  };

  const lateFee = terms.lateFee ?? null;
  /** The next date on which something falls due by the terms alone. */
  const nextEventDate = (): string | null => {
    let next: string | null = null;
    const consider = (date: string) => {
      if (next === null || date < next) next = date;
    };
    for (const w of instalments) {
      if (!w.fallen) consider(w.dueDate);
      else if (lateFee && !w.lateFeeChecked) consider(lateFeeDate(lateFee, w.dueDate));
    }
    if (nextFeeOnDate < feesOnDates.length) consider(feesOnDates[nextFeeOnDate]!.date);
    return next;
  };

  /** Everything the terms make happen on `date`, in this order: penalty interest, due dates, fees on dates, late fees. */
  const fallDueOn = (date: string) => {
    accruePenaltyTo(date);
    for (const w of instalments) {
      if (!w.fallen && w.dueDate <= date) fallDue(w, date);
    }
    while (nextFeeOnDate < feesOnDates.length && feesOnDates[nextFeeOnDate]!.date <= date) {
      const { amount, name } = feesOnDates[nextFeeOnDate]!;
      nextFeeOnDate += 1;
      if (paidOff || instalments.every((w) => sum(outstandingOf(w)).isZero())) continue;
      const w = chargedOn(date);
      charge(w, 'fee', amount, date);
      ruleCharges.push({ rule: 'feeOnDate', valueDate: date, component: 'fee', instalment: w.number, amount, reason: `${name}, due ${date} by the loan's terms; collected with instalment ${w.number}` });
    }
    if (lateFee) {
      for (const w of instalments) {
        if (!w.fallen || w.lateFeeChecked || lateFeeDate(lateFee, w.dueDate) > date) continue;
        w.lateFeeChecked = true;
        if (paidOff || !owesBeyondTolerance(w)) continue;
        const owing = outstandingOf(w);
        const { amount, how } = lateFeeAmount(terms, lateFee, owing.principal.plus(owing.interest).plus(owing.fee));
        if (!amount.gt(0)) continue;
        charge(w, 'penalty', amount, date);
        const grace = lateFee.graceDays === 0 ? 'the day after its due date' : `${lateFee.graceDays} grace day${lateFee.graceDays === 1 ? '' : 's'} after its due date`;
        ruleCharges.push({
          rule: 'lateFee', valueDate: date, component: 'penalty', instalment: w.number, amount,
          reason: `instalment ${w.number} due ${w.dueDate} still owed ${sum(owing).toFixed()} ${currency} (more than the tolerance of ${tolerance.toFixed()}) ${grace}: ${how}`,
        });
      }
    }
    drawOnHeld(date);
  };

  /** Brings the loan to `date`: every date something falls due by the terms, then penalty interest to `date`. */
  const advanceTo = (date: string) => {
    for (let next = nextEventDate(); next !== null && next <= date; next = nextEventDate()) fallDueOn(next);
    if (accruePenaltyTo(date)) drawOnHeld(date);
  };

  const remainingAfter = (date: string): RemainingTerms => {
    const ahead = instalments.filter((w) => w.dueDate > date);
    return {
      level,
      instalments: ahead.length,
      maturityDate: ahead.at(-1)?.dueDate ?? null,
      interest: ahead.reduce((s, w) => s.plus(outstandingOf(w).interest), ZERO),
      principal: ahead.reduce((s, w) => s.plus(outstandingOf(w).principal), ZERO),
    };
  };

  interface Replacement {
    number: number;
    fromDate: string;
    dueDate: string;
    principal: Decimal;
    interest: Decimal;
    fee: Decimal;
    accrual: PeriodAccrual;
  }

  /**
   * Replaces the instalments due after `date` by `plan`. What was paid, waived or recognised on them is carried
   * over: principal paid ahead stays paid on the first (it already reduced the principal the plan is for);
   * interest, fees and penalties paid or waived fill the new instalments in order; charges added by hand or by
   * rule stay on the instalment of the same number (the last one when it is gone). Interest or fees paid ahead
   * beyond what the plan still asks for were never earned: the income is taken back and the money is held.
   */
  const replaceAfter = (date: string, plan: Replacement[]) => {
    const future = instalments.filter((w) => w.dueDate > date);
    const kept = instalments.filter((w) => w.dueDate <= date);
    const news: Working[] = plan.map((p) => plannedInstalment(p, p.accrual));
    const pooled = { paid: zeros(), waived: zeros(), receivable: zeros() };
    for (const w of future) {
      const target = news.find((n) => n.number === w.number) ?? news.at(-1)!;
      for (const c of ['fee', 'penalty'] as const) {
        target.charged[c] = target.charged[c].plus(w.added[c]);
        target.added[c] = target.added[c].plus(w.added[c]);
      }
      for (const c of COMPONENTS) {
        pooled.paid[c] = pooled.paid[c].plus(w.paid[c]);
        pooled.waived[c] = pooled.waived[c].plus(w.waived[c]);
        if (c !== 'principal') pooled.receivable[c] = pooled.receivable[c].plus(receivableOf(w, c));
      }
    }
    const first = news[0]!;
    first.charged.principal = first.charged.principal.plus(pooled.paid.principal);
    first.recognised.principal = first.charged.principal;
    first.paid.principal = pooled.paid.principal;
    for (const c of CHARGES) {
      // What the ledger holds as receivable must stay receivable; then what was paid, then what was waived.
      let receivable = pooled.receivable[c];
      let paid = pooled.paid[c];
      let waived = pooled.waived[c];
      for (const n of news) {
        let room = n.charged[c];
        const r = Decimal.min(receivable, room);
        room = room.minus(r);
        receivable = receivable.minus(r);
        const p = Decimal.min(paid, room);
        room = room.minus(p);
        paid = paid.minus(p);
        const v = Decimal.min(waived, room);
        waived = waived.minus(v);
        n.paid[c] = p;
        n.waived[c] = v;
        // Interest paid on an instalment not yet due stays interest in advance (not recognised); fees were recognised.
        n.recognised[c] = c === 'interest' ? r.plus(v) : r.plus(p).plus(v);
      }
      if (receivable.gt(0)) throw new Error(`rescheduling lost ${receivable.toFixed()} of ${c} receivable`);
      if (paid.gt(0) && c !== 'penalty') {
        // Interest paid ahead was held as interest in advance, fees ahead were income: either way it goes back to the borrower.
        const from = accounts[c === 'interest' ? 'interestInAdvance' : 'feeIncome'];
        journals.push({ loanId: loan.id, currency, valueDate: date, lines: [
          { account: from, debit: paid, credit: ZERO },
          { account: accounts.excess, debit: ZERO, credit: paid },
        ] });
        held = held.plus(paid);
      }
      // A waiver of what the plan no longer asks for forgave nothing: recognised and waived drop together.
    }
    instalments = [...kept, ...news];
  };

  /**
   * Collapses the schedule on `date` to what a payoff then owes: one instalment due on `date` with all principal
   * still owed and the interest the current period has earned; later interest and instalment fees are cancelled.
   */
  const collapseOn = (date: string): { interest: Decimal; fee: Decimal } => {
    const future = instalments.filter((w) => w.dueDate > date);
    if (future.length === 0) return { interest: ZERO, fee: ZERO };
    const current = future[0]!;
    const earned = earnedInterest(terms, current.accrual, current.dueDate, date).amount;
    const scheduledInterest = future.reduce((s, w) => s.plus(w.charged.interest), ZERO);
    const scheduledFee = future.reduce((s, w) => s.plus(w.charged.fee.minus(w.added.fee)), ZERO);
    const principal = future.reduce((s, w) => s.plus(w.charged.principal.minus(w.paid.principal)), ZERO);
    replaceAfter(date, [{
      number: current.number, fromDate: current.fromDate, dueDate: date, principal, interest: earned, fee: ZERO,
      accrual: { from: date, interest: ZERO, earnedBefore: earned },
    }]);
    // The payoff makes the current instalment fall due today: the interest earned to date is income now.
    fallDue(instalments.at(-1)!, date);
    return { interest: scheduledInterest.minus(earned), fee: scheduledFee };
  };

  const quoteOn = (date: string): PayoffQuote => {
    const owed = zeros();
    for (const w of instalments) for (const c of COMPONENTS) owed[c] = owed[c].plus(outstandingOf(w)[c]);
    const total = sum(owed).minus(held);
    return { date, principal: owed.principal, interest: owed.interest, fees: owed.fee, penalties: owed.penalty, held, total: total.isNegative() ? ZERO : total };
  };

  const prepay = (t: Extract<LoanTransaction, { kind: 'prepayment' }>, field: string) => {
    const allowed = terms.prepayment?.allowed ?? PREPAYMENT_RESCHEDULES;
    if (!PREPAYMENT_RESCHEDULES.includes(t.reschedule)) throw new InvalidField(`${field}.reschedule`, 'a prepayment reschedules by reduceInstalment or reduceTenor');
    if (!allowed.includes(t.reschedule)) {
      throw new InvalidField(`${field}.reschedule`, `the loan's terms do not allow a prepayment to ${t.reschedule === 'reduceTenor' ? 'reduce the tenor' : 'reduce the instalment'}; allowed: ${allowed.join(', ') || 'none'}`);
    }
    if (t.reschedule === 'reduceTenor' && level === null) {
      throw new InvalidField(`${field}.reschedule`, 'a bullet loan repays its principal at maturity: a prepayment can reduce the instalment, not the tenor');
    }
    const amount = amountOf(t.amount, currency, `${field}.amount`);
    const date = t.valueDate;
    const before = remainingAfter(date);
    // What is due first, by the loan's rule; no instalment still to come is offered, so the rest comes back as excess.
    const due = allocateRepayment({ currency, rule, payment: { amount, valueDate: date }, instalments: owingOf(instalments.filter((w) => w.dueDate <= date)) });
    let inAdvance = book(due.lines, date);
    const lines: AllocationLine[] = [...due.lines];
    let rest = due.excess;
    const future = instalments.filter((w) => w.dueDate > date);
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
      inAdvance = inAdvance.plus(book(more, date));
      lines.push(...more);
    }
    post(repaymentOf(lines, rest, inAdvance), date);
    held = held.plus(rest);
    allocations.push({ repaymentId: t.id, valueDate: date, amount, lines, held: rest, reasons: rest.gt(0) ? { excess: 'more than everything due and all principal; held as excess, refundable' } : {} });

    const rescheduled = principalPaid.gt(0);
    if (rescheduled) {
      const current = future[0]!;
      const earned = earnedInterest(terms, current.accrual, current.dueDate, date).amount;
      const principal = future.reduce((s, w) => s.plus(outstandingOf(w).principal), ZERO);
      if (principal.isZero()) {
        collapseOn(date);
      } else {
        const remaining = remainingSchedule(terms, {
          principal, valueDate: date, dueDates: future.map((w) => w.dueDate), reschedule: t.reschedule, level,
          principalFreeLeft: terms.amortization.kind === 'bullet' ? 0 : principalFreePeriods(terms) - (current.number - 1),
        });
        replaceAfter(date, remaining.instalments.map((i, k) => ({
          number: current.number + k,
          fromDate: k === 0 ? current.fromDate : future[k - 1]!.dueDate,
          dueDate: i.dueDate,
          principal: i.principal,
          interest: k === 0 ? earned.plus(i.interest) : i.interest,
          fee: i.fee,
          accrual: k === 0 ? { from: date, interest: i.interest, earnedBefore: earned } : { from: future[k - 1]!.dueDate, interest: i.interest, earnedBefore: ZERO },
        })));
        level = remaining.level;
      }
      drawOnHeld(date);
    }
    prepayments.push({
      prepaymentId: t.id, valueDate: date, amount, reschedule: t.reschedule,
      paidDue: sum(due.totals), paidAccruedInterest: accruedPaid, principalReduced: principalPaid, excess: rest,
      rescheduled, before, after: remainingAfter(date),
    });
  };

  for (const t of effective) {
    advanceTo(t.valueDate);
    const field = `transactions.${t.id}`;
    switch (t.kind) {
      case 'repayment':
        apply(amountOf(t.amount, currency, `${field}.amount`), t.valueDate, t.id);
        break;
      case 'charge': {
        const amount = amountOf(t.amount, currency, `${field}.amount`);
        charge(chargedOn(t.valueDate), t.component, amount, t.valueDate);
        drawOnHeld(t.valueDate);
        break;
      }
      case 'waiver': {
        let left = amountOf(t.amount, currency, `${field}.amount`);
        const c = t.component;
        if (t.instalment !== undefined && !instalments.some((i) => i.number === t.instalment)) {
          throw new InvalidField(`${field}.instalment`, `the loan has no instalment ${t.instalment}`);
        }
        const targets = t.instalment !== undefined ? instalments.filter((i) => i.number === t.instalment) : instalments;
        const lines: WaiverExplanation['lines'] = [];
        for (const w of targets) {
          const owed = outstandingOf(w)[c];
          const amount = Decimal.min(owed, left);
          if (!amount.gt(0)) continue;
          recognise(w, t.valueDate, { [c]: amount });
          w.waived[c] = w.waived[c].plus(amount);
          post({ kind: 'waiver', component: c, amount }, t.valueDate);
          lines.push({ instalment: w.number, amount });
          left = left.minus(amount);
        }
        waivers.push({ waiverId: t.id, valueDate: t.valueDate, component: c, lines, notWaived: left });
        break;
      }
      case 'refund': {
        const amount = amountOf(t.amount, currency, `${field}.amount`);
        const refundable = held.minus(advanceOn(t.valueDate));
        if (amount.gt(refundable)) {
          throw new InvalidField(`${field}.amount`, `only ${refundable.toFixed(minorUnits(currency))} ${currency} of excess is held on ${t.valueDate} to refund; the refund asks for ${amount.toFixed(minorUnits(currency))}`);
        }
        post({ kind: 'refund', amount }, t.valueDate);
        held = held.minus(amount);
        refunds.push({ refundId: t.id, valueDate: t.valueDate, amount, refundable });
        break;
      }
      case 'payoff': {
        const amount = amountOf(t.amount, currency, `${field}.amount`);
        const cancelled = collapseOn(t.valueDate);
        const quote = quoteOn(t.valueDate);
        if (amount.lt(quote.total)) {
          throw new InvalidField(`${field}.amount`, `the payoff amount must be at least ${quote.total.toFixed(minorUnits(currency))} ${currency} on ${t.valueDate} (the payoff quote); it is ${amount.toFixed(minorUnits(currency))}`);
        }
        drawOnHeld(t.valueDate);
        const heldBefore = held;
        apply(amount, t.valueDate, t.id);
        paidOff = true;
        payoffs.push({ payoffId: t.id, valueDate: t.valueDate, amount, quote, cancelled, excess: held.minus(heldBefore) });
        break;
      }
      case 'prepayment':
        prepay(t, field);
        break;
      case 'reversal':
        break;
    }
  }
  advanceTo(asOf);
  const quote = quoting ? (collapseOn(asOf), quoteOn(asOf)) : null;

  const states: InstalmentState[] = instalments.map((w) => ({
    number: w.number,
    fromDate: w.fromDate,
    dueDate: w.dueDate,
    charged: w.charged,
    paid: w.paid,
    waived: w.waived,
    outstanding: outstandingOf(w),
  }));
  const total = (pick: (w: Working) => Amounts, where: (w: Working) => boolean = () => true): Amounts => {
    const amounts = zeros();
    for (const w of instalments) if (where(w)) for (const c of COMPONENTS) amounts[c] = amounts[c].plus(pick(w)[c]);
    return amounts;
  };
  const receivable = total((w) => Object.fromEntries(COMPONENTS.map((c) => [c, receivableOf(w, c)])) as Amounts);
  const interestInAdvance = instalments.reduce((s, w) => s.plus(interestInAdvanceOf(w)), ZERO);
  const outstanding = total(outstandingOf);
  const due = total(outstandingOf, (w) => w.dueDate <= asOf);

  const advance = advanceOn(asOf);
  const status: LoanAccountStatus = sum(outstanding).isZero()
    ? 'closed'
    : states.some((i) => i.dueDate < asOf && sum(i.outstanding).gt(tolerance)) ? 'overdue' : 'active';

  const state: LoanAccountState = {
    loanId: loan.id,
    currency,
    asOf,
    schedule,
    currentSchedule: currentScheduleOf(schedule, instalments, level),
    instalments: states,
    allocations,
    waivers,
    refunds,
    prepayments,
    payoffs,
    ruleCharges,
    totals: { receivable, outstanding, due },
    held: { advance, excess: held.minus(advance) },
    interestInAdvance,
    status,
    daysPastDue: daysPastDue(states, asOf, tolerance),
    journals,
  };
  return { state, quote };
}

/** The booked schedule with the instalments as they stand (charges added, rescheduled by prepayments and payoffs). */
function currentScheduleOf(booked: Schedule, instalments: readonly Working[], level: Decimal | null): Schedule {
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
