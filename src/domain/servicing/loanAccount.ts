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
//   `future` option. Interest or fees of an instalment not yet due that the rule lets a prepayment pay are
//   recognised when paid (a `chargesDue` on the payment's date), and only the rest on the due date, so no
//   receivable ever goes negative.
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
// - The schedule is not regenerated after a prepayment here (reduce-instalment or reduce-tenor rescheduling and
//   payoff quotes are a separate calculator): the account reports what the booked schedule still owes.
// - Status: closed when no instalment owes anything; overdue when an instalment due before `asOf` still owes
//   something; otherwise active. Days past due count from the due date of the oldest instalment that still owes
//   something and was due before `asOf`.
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
import { journalFor, STANDARD_MAPPING, type AccountMapping, type FinancialEvent, type Journal, type JournalLine } from './ledger.js';
import type { LoanTerms } from './product.js';
import { generateSchedule, type Schedule } from './schedule.js';

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
  | { kind: 'waiver'; id: string; valueDate: string; component: ChargeComponent; amount: DecimalInput; instalment?: number };

export type Amounts = Record<Component, Decimal>;

export interface InstalmentState {
  number: number;
  dueDate: string;
  /** The booked schedule's amounts plus charges added to this instalment. */
  charged: Amounts;
  paid: Amounts;
  waived: Amounts;
  /** charged − paid − waived. */
  outstanding: Amounts;
}

export interface AllocationExplanation {
  /** A repayment's id, or null when money already held was drawn on. */
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

/** The statuses a replay can tell from the money alone (loanStatus.ts holds the whole table). */
export type LoanAccountStatus = Extract<LoanStatus, 'active' | 'overdue' | 'closed'>;

export interface LoanAccountState {
  loanId: string;
  currency: string;
  asOf: string;
  schedule: Schedule;
  instalments: InstalmentState[];
  allocations: AllocationExplanation[];
  waivers: WaiverExplanation[];
  totals: {
    /** What the loan's receivable accounts hold: all unpaid principal, interest/fees/penalties once recognised. */
    receivable: Amounts;
    /** Everything the booked schedule (with charges) still asks for, due or not. */
    outstanding: Amounts;
    /** Outstanding on instalments due on or before `asOf`. */
    due: Amounts;
  };
  held: { advance: Decimal; excess: Decimal };
  status: LoanAccountStatus;
  daysPastDue: number;
  journals: Journal[];
}

const ZERO = new Decimal(0);
const zeros = (): Amounts => ({ penalty: ZERO, fee: ZERO, interest: ZERO, principal: ZERO });
const sum = (amounts: Amounts) => COMPONENTS.reduce((total, c) => total.plus(amounts[c]), ZERO);

interface Working {
  number: number;
  dueDate: string;
  charged: Amounts;
  paid: Amounts;
  waived: Amounts;
  /** Interest, fees and penalties posted as receivable so far; principal is recognised at disbursement. */
  recognised: Amounts;
}

const outstandingOf = (w: Working): Amounts =>
  Object.fromEntries(COMPONENTS.map((c) => [c, w.charged[c].minus(w.paid[c]).minus(w.waived[c])])) as Amounts;

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
    if (!target || target.kind === 'reversal') throw new InvalidField(`transactions[${k}].reverses`, `${t.reverses} is not a repayment, charge or waiver of this loan`);
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

/** Days past due of the oldest instalment due before `asOf` that still owes something; 0 when none. */
export function daysPastDue(instalments: readonly Pick<InstalmentState, 'dueDate' | 'outstanding'>[], asOf: string): number {
  let oldest: string | null = null;
  for (const i of instalments) {
    if (i.dueDate < asOf && sum(i.outstanding).gt(0) && (oldest === null || i.dueDate < oldest)) oldest = i.dueDate;
  }
  return oldest === null ? 0 : daysBetween(oldest, asOf);
}

export function replayLoan(loan: LoanAccount, transactions: readonly LoanTransaction[], asOf: string): LoanAccountState {
  dateOf(asOf, 'asOf');
  dateOf(loan.disbursementDate, 'disbursementDate');
  if (asOf < loan.disbursementDate) throw new InvalidField('asOf', 'a loan has no account before it is disbursed');
  const { terms, rule } = loan;
  const currency = terms.currency;
  const schedule = generateSchedule(terms, { principal: loan.principal, disbursementDate: loan.disbursementDate, firstRepaymentDate: loan.firstRepaymentDate });
  const effective = effectiveTransactions(transactions, asOf);
  effective.forEach((t) => {
    if (t.valueDate < loan.disbursementDate) throw new InvalidField('transactions', `transaction ${t.id} is valued before the disbursement on ${loan.disbursementDate}`);
  });

  const journals: Journal[] = [];
  const context = (valueDate: string) => ({ loanId: loan.id, currency, valueDate, ...(loan.accounts ? { accounts: loan.accounts } : {}) });
  const post = (event: FinancialEvent, valueDate: string) => {
    const journal = journalFor(event, context(valueDate));
    if (journal.lines.length > 0) journals.push(journal);
  };

  const instalments: Working[] = schedule.instalments.map((i) => ({
    number: i.number,
    dueDate: i.dueDate,
    charged: { penalty: ZERO, fee: i.fee, interest: i.interest, principal: i.principal },
    paid: zeros(),
    waived: zeros(),
    recognised: { ...zeros(), principal: i.principal },
  }));
  const allocations: AllocationExplanation[] = [];
  const waivers: WaiverExplanation[] = [];
  let held = ZERO;

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
    for (const c of ['interest', 'fee', 'penalty'] as const) {
      let amount = w.charged[c].minus(w.recognised[c]);
      if (upTo) amount = Decimal.min(amount, (upTo[c] ?? ZERO).minus(w.recognised[c].minus(w.paid[c]).minus(w.waived[c])));
      if (amount.gt(0)) {
        event[c] = amount;
        w.recognised[c] = w.recognised[c].plus(amount);
      }
    }
    post(event, valueDate);
  };

  /** Applies money (a repayment, or held money drawn on) by the loan's rule. */
  const apply = (amount: Decimal, valueDate: string, repaymentId: string | null) => {
    const allocation = allocateRepayment({
      currency,
      rule,
      payment: { amount, valueDate },
      instalments: instalments.map((w) => ({ number: w.number, dueDate: w.dueDate, outstanding: outstandingOf(w) })),
    });
    const byNumber = new Map(instalments.map((w) => [w.number, w]));
    // Interest or fees paid before they fall due are recognised as they are paid.
    const paidNow = new Map<number, Amounts>();
    for (const line of allocation.lines) {
      const amounts = paidNow.get(line.instalment) ?? zeros();
      amounts[line.component] = amounts[line.component].plus(line.amount);
      paidNow.set(line.instalment, amounts);
    }
    for (const [number, amounts] of paidNow) recognise(byNumber.get(number)!, valueDate, amounts);
    for (const line of allocation.lines) {
      const w = byNumber.get(line.instalment)!;
      w.paid[line.component] = w.paid[line.component].plus(line.amount);
    }
    const kept = allocation.advance.plus(allocation.excess);
    if (repaymentId !== null) {
      post({ kind: 'repayment', allocated: allocation.totals, excess: kept }, valueDate);
      held = held.plus(kept);
    } else {
      // Held money paid to receivables: the refund and repayment journals of the same money, the cash legs netted.
      const drawn = allocation.allocated;
      const lines: JournalLine[] = [
        ...journalFor({ kind: 'refund', amount: drawn }, context(valueDate)).lines,
        ...journalFor({ kind: 'repayment', allocated: allocation.totals, excess: ZERO }, context(valueDate)).lines,
      ];
      const cash = (loan.accounts ?? STANDARD_MAPPING).cash;
      const netted = lines.filter((l) => l.account !== cash);
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

  const dueDates = [...new Set(instalments.map((w) => w.dueDate))].filter((d) => d <= asOf);
  let next = 0;
  const fallDueThrough = (date: string) => {
    while (next < dueDates.length && dueDates[next]! <= date) {
      const dueDate = dueDates[next]!;
      for (const w of instalments) if (w.dueDate === dueDate) recognise(w, dueDate);
      drawOnHeld(dueDate);
      next += 1;
    }
  };

  for (const t of effective) {
    fallDueThrough(t.valueDate);
    const field = `transactions.${t.id}`;
    switch (t.kind) {
      case 'repayment':
        apply(amountOf(t.amount, currency, `${field}.amount`), t.valueDate, t.id);
        break;
      case 'charge': {
        const amount = amountOf(t.amount, currency, `${field}.amount`);
        const w = instalments.find((i) => i.dueDate >= t.valueDate) ?? instalments.at(-1)!;
        w.charged[t.component] = w.charged[t.component].plus(amount);
        w.recognised[t.component] = w.recognised[t.component].plus(amount);
        post({ kind: 'chargesDue', interest: ZERO, fee: ZERO, penalty: ZERO, [t.component]: amount }, t.valueDate);
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
      case 'reversal':
        break;
    }
  }
  fallDueThrough(asOf);

  const states: InstalmentState[] = instalments.map((w) => ({
    number: w.number,
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
  const receivable = total((w) => Object.fromEntries(COMPONENTS.map((c) => [c, w.recognised[c].minus(w.paid[c]).minus(w.waived[c])])) as Amounts);
  const outstanding = total(outstandingOf);
  const due = total(outstandingOf, (w) => w.dueDate <= asOf);

  let advance = ZERO;
  if (rule.future === 'holdAsAdvance') {
    const ahead = instalments.filter((w) => w.dueDate > asOf).reduce((s, w) => rule.futureOrder.reduce((t, c) => t.plus(outstandingOf(w)[c]), s), ZERO);
    advance = Decimal.min(held, ahead);
  }
  const status: LoanAccountStatus = sum(outstanding).isZero()
    ? 'closed'
    : states.some((i) => i.dueDate < asOf && sum(i.outstanding).gt(0)) ? 'overdue' : 'active';

  return {
    loanId: loan.id,
    currency,
    asOf,
    schedule,
    instalments: states,
    allocations,
    waivers,
    totals: { receivable, outstanding, due },
    held: { advance, excess: held.minus(advance) },
    status,
    daysPastDue: daysPastDue(states, asOf),
    journals,
  };
}
