// The loan as the replay has it so far: its instalments with what each has charged, been paid, waived and had
// recognised, the money held for the borrower, the journals posted and the explanations given. Every step of the
// replay (a date passing, a transaction) changes this one object, so the steps share no hidden variables and each
// can be read on its own. The operations here are the ones several steps need: posting a journal, recognising
// what is charged, adding a charge, marking money paid, applying money by the loan's rule.
import { InvalidField } from '../../../errors.js';
import { AMOUNT_CEILING, Decimal } from '../../money.js';
import { allocateRepayment, COMPONENTS, type AllocationLine, type AllocationRule, type Component } from '../allocation.js';
import { isLate } from '../chargeRules.js';
import { journalFor, STANDARD_MAPPING, type AccountMapping, type FinancialEvent, type Journal, type JournalLine } from '../ledger.js';
import type {
  AllocationExplanation,
  Amounts,
  InstalmentState,
  LoanAccount,
  PayoffExplanation,
  PayoffQuote,
  PrepaymentExplanation,
  RefundExplanation,
  RecoveryExplanation,
  RestructureExplanation,
  RuleChargeExplanation,
  TrancheExplanation,
  WaiverExplanation,
  WriteOffExplanation,
} from '../loanAccount.js';
import type { PeriodAccrual } from '../prepayment.js';
import { minorUnit, type FeeOnDate, type LateFee, type LoanTerms } from '../product.js';
import { generateSchedule, type Schedule, type ScheduleRequest } from '../schedule.js';
import type { LoanParticipation } from '../coLending.js';
import { shareEvent } from './participations.js';

export const ZERO = new Decimal(0);

/** A transaction refused because what the loan owes would reach the amount ceiling (`assertOwesBelowCeiling`). */
export class OwedBeyondCeiling extends InvalidField {}

export const zeros = (): Amounts => ({ penalty: ZERO, fee: ZERO, interest: ZERO, principal: ZERO });
/** a − b and a + b without making a new number when one side is zero, as most are (an instalment not yet paid): the replay runs on every posting. */
export const less = (a: Decimal, b: Decimal): Decimal => (b.isZero() ? a : a.minus(b));
export const more = (a: Decimal, b: Decimal): Decimal => (b.isZero() ? a : a.isZero() ? b : a.plus(b));
export const sum = (amounts: Amounts) => more(more(more(amounts.penalty, amounts.fee), amounts.interest), amounts.principal);
export const CHARGES = ['interest', 'fee', 'penalty'] as const;

/** An instalment as the account reports it, less what is derived (outstanding), plus what the replay tracks. */
export interface WorkingInstalment extends Omit<InstalmentState, 'outstanding'> {
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
export function plannedInstalment(
  plan: { number: number; fromDate: string; dueDate: string; fee: Decimal; interest: Decimal; principal: Decimal }, accrual: PeriodAccrual,
): WorkingInstalment {
  return {
    number: plan.number,
    fromDate: plan.fromDate,
    dueDate: plan.dueDate,
    charged: { penalty: ZERO, fee: plan.fee, interest: plan.interest, principal: plan.principal },
    paid: zeros(),
    waived: zeros(),
    writtenOff: zeros(),
    recognised: { ...zeros(), principal: plan.principal },
    added: { fee: ZERO, penalty: ZERO },
    accrual,
    fallen: false,
    lateFeeChecked: false,
  };
}

export const outstandingOf = ({ charged, paid, waived, writtenOff }: WorkingInstalment): Amounts => ({
  penalty: less(less(less(charged.penalty, paid.penalty), waived.penalty), writtenOff.penalty),
  fee: less(less(less(charged.fee, paid.fee), waived.fee), writtenOff.fee),
  interest: less(less(less(charged.interest, paid.interest), waived.interest), writtenOff.interest),
  principal: less(less(less(charged.principal, paid.principal), waived.principal), writtenOff.principal),
});

/** Interest paid on an instalment that has not fallen due: held on the interest-in-advance account, not yet income. */
export const interestInAdvanceOf = (w: WorkingInstalment): Decimal => (w.fallen ? ZERO : w.paid.interest);

/** What the receivable account holds for a component of `w`: what was recognised, less what was paid from it, waived or written off. */
export const receivableOf = (w: WorkingInstalment, c: Component): Decimal =>
  more(less(less(less(w.recognised[c], w.paid[c]), w.waived[c]), w.writtenOff[c]), c === 'interest' ? interestInAdvanceOf(w) : ZERO);

export const owingOf = (list: readonly WorkingInstalment[]) => list.map((w) => ({ number: w.number, dueDate: w.dueDate, outstanding: outstandingOf(w) }));

export const totalsOf = (lines: readonly AllocationLine[]): Amounts => {
  const totals = zeros();
  for (const line of lines) totals[line.component] = totals[line.component].plus(line.amount);
  return totals;
};

/** A repayment's journal event: paid off the receivables, interest paid in advance to its liability, the rest held. */
export const repaymentOf = (lines: readonly AllocationLine[], excess: Decimal, inAdvance: Decimal): FinancialEvent => {
  const allocated = totalsOf(lines);
  return { kind: 'repayment', allocated: { ...allocated, interest: allocated.interest.minus(inAdvance) }, excess, interestInAdvance: inAdvance };
};

/** A later tranche as the replay needs it: what was paid out, when. */
export interface PaidOutTranche {
  trancheId: string;
  valueDate: string;
  amount: Decimal;
}

/** A write-off in full as the replay carries it: its date, what it gave up, and what has come back since. */
export interface WrittenOffState {
  on: string;
  total: Decimal;
  recovered: Decimal;
}

/** The terms a restructure set: from when, at what rate (no grace any more). */
export interface RestructuredTerms {
  on: string;
  annualRatePercent: Decimal;
}

/**
 * The loan's terms as a restructure left them: its rate, and no grace or interest-only periods (they were the old
 * schedule's; the new one amortizes from its first instalment).
 */
export const termsAfter = (terms: LoanTerms, restructured: RestructuredTerms | null): LoanTerms => (restructured === null ? terms : {
  ...terms, annualRatePercent: restructured.annualRatePercent, grace: { principalPeriods: 0, interestPeriods: 0 },
  amortization: terms.amortization.kind === 'interest-only' ? { kind: terms.amortization.then } : terms.amortization,
});

/** The part of the working state that changes as the loan lives; the rest follows from the loan's terms. */
export interface WorkingFields {
  writtenOff: WrittenOffState | null;
  restructured: RestructuredTerms | null;
  instalments: WorkingInstalment[];
  level: Decimal | null;
  held: Decimal;
  paidOff: boolean;
  penaltyFrom: string;
  nextFeeOnDate: number;
  paidTranches: PaidOutTranche[];
}

export class WorkingState {
  readonly loan: LoanAccount;
  /** The loan's terms as they stand: as booked, or as the latest restructure left them. */
  terms: LoanTerms;
  readonly rule: AllocationRule;
  readonly currency: string;
  readonly accounts: AccountMapping;
  readonly tolerance: Decimal;
  readonly lateFee: LateFee | null;
  /** Fees the terms charge on fixed dates, in date order; `nextFeeOnDate` is the first not yet charged. */
  readonly feesOnDates: readonly FeeOnDate[];
  private readonly request: ScheduleRequest;
  private booked: Schedule | null;

  instalments: WorkingInstalment[];
  /** The level instalment of the schedule as it stands (a reduce-instalment prepayment changes it). */
  level: Decimal | null;
  /** The borrower's money held on the excess account: advance and excess. */
  held = ZERO;
  /** Set by a payoff: no charge by rule arises after it. */
  paidOff = false;
  /** Set by a write-off in full: no charge arises after it, and money received is a recovery. */
  writtenOff: WrittenOffState | null = null;
  /** Set by a restructure: the terms from then on (`terms` follows it). */
  restructured: RestructuredTerms | null = null;
  /** Penalty interest is recognised up to here. */
  penaltyFrom: string;
  nextFeeOnDate = 0;

  readonly journals: Journal[] = [];
  /** Co-lending partners' shares of the loan (coLending.ts); none for a loan the lender funds alone. */
  readonly participations: readonly LoanParticipation[];
  /** The loan's principal receivable as the journals posted so far leave it: the partners' principal follows it. */
  principalOwed = ZERO;
  readonly allocations: AllocationExplanation[] = [];
  readonly waivers: WaiverExplanation[] = [];
  readonly refunds: RefundExplanation[] = [];
  readonly prepayments: PrepaymentExplanation[] = [];
  readonly payoffs: PayoffExplanation[] = [];
  readonly ruleCharges: RuleChargeExplanation[] = [];
  readonly tranches: TrancheExplanation[] = [];
  readonly writeOffs: WriteOffExplanation[] = [];
  readonly recoveries: RecoveryExplanation[] = [];
  readonly restructures: RestructureExplanation[] = [];
  /** The later tranches paid out so far (the explanations above carry more, and only for what was replayed). */
  paidTranches: PaidOutTranche[] = [];

  /**
   * The loan on its disbursement date (`booked`: the schedule planned, nothing paid, the disbursement posted), or
   * as a checkpoint left it (`resumed`: its fields as they were, no journal or explanation yet).
   */
  constructor(loan: LoanAccount, request: ScheduleRequest, feesOnDates: readonly FeeOnDate[], opening: { booked: Schedule } | { resumed: WorkingFields }) {
    this.loan = loan;
    this.terms = loan.terms;
    this.rule = loan.rule;
    this.currency = loan.terms.currency;
    this.accounts = loan.accounts ?? STANDARD_MAPPING;
    this.tolerance = loan.terms.underpaymentTolerance ?? ZERO;
    this.lateFee = loan.terms.lateFee ?? null;
    this.feesOnDates = feesOnDates;
    this.request = request;
    this.participations = loan.participations ?? [];
    if ('resumed' in opening) {
      const fields = opening.resumed;
      this.principalOwed = fields.instalments.reduce((owed, w) => more(owed, outstandingOf(w).principal), ZERO);
      this.booked = null;
      this.instalments = fields.instalments;
      this.level = fields.level;
      this.held = fields.held;
      this.paidOff = fields.paidOff;
      this.writtenOff = fields.writtenOff;
      this.restructured = fields.restructured;
      this.terms = termsAfter(loan.terms, fields.restructured);
      this.penaltyFrom = fields.penaltyFrom;
      this.nextFeeOnDate = fields.nextFeeOnDate;
      this.paidTranches = fields.paidTranches;
      return;
    }
    const schedule = opening.booked;
    this.booked = schedule;
    this.level = schedule.levelAmount;
    this.penaltyFrom = loan.disbursementDate;

    const terms = loan.terms;
    // Interest deferred by a grace on interest is earned as it accrues: the same loan without the grace says how much.
    const accruing = terms.grace.interestPeriods > 0 ? generateSchedule({ ...terms, grace: { ...terms.grace, interestPeriods: 0 } }, request).instalments : schedule.instalments;
    let deferred = ZERO;
    this.instalments = schedule.instalments.map((i, k) => {
      const accrual = { from: i.fromDate, interest: accruing[k]!.interest, earnedBefore: deferred };
      deferred = deferred.plus(accruing[k]!.interest).minus(i.interest);
      return plannedInstalment(i, accrual);
    });

    const fee = terms.fees.disbursement;
    this.post({
      kind: 'disbursement',
      principal: schedule.principal,
      feeFinanced: fee?.treatment === 'financed' ? fee.amount : ZERO,
      feeDeducted: fee?.treatment === 'deducted' ? fee.amount : ZERO,
    }, loan.disbursementDate);
  }

  /** The schedule the loan was booked with (made again from the terms when the state was resumed). */
  get schedule(): Schedule {
    this.booked ??= generateSchedule(this.loan.terms, this.request);
    return this.booked;
  }

  /** What a checkpoint keeps: every field a later step reads. */
  fields(): WorkingFields {
    return {
      instalments: this.instalments, level: this.level, held: this.held, paidOff: this.paidOff, writtenOff: this.writtenOff, restructured: this.restructured, penaltyFrom: this.penaltyFrom,
      nextFeeOnDate: this.nextFeeOnDate, paidTranches: this.paidTranches,
    };
  }

  /**
   * After a write-off in full the loan owes nothing on the books: money may still come in (a recovery), held money
   * may be refunded and transactions reversed, but nothing may be charged, forgiven, paid off, paid out or changed.
   */
  assertNotWrittenOff(kind: string, field: string): void {
    if (!this.writtenOff) return;
    throw new InvalidField(`${field}.valueDate`, `the loan was written off on ${this.writtenOff.on}: only a repayment (a recovery), a refund of excess or a reversal may be valued after it, not a ${kind}`);
  }

  /** Paid off or written off in full: nothing is charged by the terms any more. */
  get chargesStopped(): boolean {
    return this.paidOff || this.writtenOff !== null;
  }

  private context(valueDate: string) {
    return { loanId: this.loan.id, currency: this.currency, valueDate, ...(this.loan.accounts ? { accounts: this.loan.accounts } : {}) };
  }

  /** Posts the journal of `event`; an event that moves nothing leaves no journal. */
  post(event: FinancialEvent, valueDate: string): void {
    const journal = journalFor(event, this.context(valueDate));
    if (journal.lines.length === 0) return;
    const before = this.principalOwed;
    this.record(journal);
    if (this.participations.length > 0) shareEvent(this, event, valueDate, before, this.principalOwed);
  }

  /** A journal the ledger has no event for: its lines as the caller wrote them. The caller shares it with co-lenders if it must. */
  postLines(valueDate: string, lines: JournalLine[]): void {
    this.record({ loanId: this.loan.id, currency: this.currency, valueDate, lines });
  }

  private record(journal: Journal): void {
    this.journals.push(journal);
    const principal = this.accounts.principalReceivable;
    for (const line of journal.lines) {
      if (line.account === principal) this.principalOwed = this.principalOwed.plus(line.debit).minus(line.credit);
    }
  }

  /**
   * Posts as receivable what is charged on instalment `w` but not yet recognised; with `upTo`, only enough for the
   * receivable to cover `upTo` of each component (what is about to be paid or waived).
   */
  recognise(w: WorkingInstalment, valueDate: string, upTo?: Partial<Amounts>): void {
    const event = { kind: 'chargesDue' as const, interest: ZERO, fee: ZERO, penalty: ZERO };
    for (const c of CHARGES) {
      let amount = w.charged[c].minus(w.recognised[c]);
      if (upTo) amount = Decimal.min(amount, (upTo[c] ?? ZERO).minus(receivableOf(w, c)));
      if (amount.gt(0)) {
        event[c] = amount;
        w.recognised[c] = w.recognised[c].plus(amount);
      }
    }
    this.post(event, valueDate);
  }

  /** A fee or penalty owed from `valueDate` on instalment `w`: recognised at once. */
  charge(w: WorkingInstalment, component: 'fee' | 'penalty', amount: Decimal, valueDate: string): void {
    w.charged[component] = w.charged[component].plus(amount);
    w.recognised[component] = w.recognised[component].plus(amount);
    w.added[component] = w.added[component].plus(amount);
    this.post({ kind: 'chargesDue', interest: ZERO, fee: ZERO, penalty: ZERO, [component]: amount }, valueDate);
  }

  /**
   * How much more the terms may charge by themselves (penalty interest, late fees): what keeps everything the loan
   * owes below the amount ceiling. Booking refuses a schedule that reaches it; these charges grow with time, so they
   * end there instead, and no amount the loan owes outgrows what the API answers or a column holds.
   */
  roomBelowCeiling(): Decimal {
    return Decimal.max(ZERO, AMOUNT_CEILING.minus(minorUnit(this.currency)).minus(this.owedInAll()));
  }

  /** Everything the loan owes: principal, interest, fees and penalties of every instalment, fallen due or to come. */
  owedInAll(): Decimal {
    return this.instalments.reduce((total, w) => more(total, sum(outstandingOf(w))), ZERO);
  }

  /**
   * Refuses what a transaction just added (a charge by hand, a tranche, a restructure's new schedule) when it takes
   * everything the loan owes to the amount ceiling. Checked where the replay applies it, so one backdated or
   * reversed before it is refused when it would make a later one no longer fit.
   */
  assertOwesBelowCeiling(field: string, what: string, valueDate: string): void {
    const owed = this.owedInAll();
    if (owed.lt(AMOUNT_CEILING)) return;
    const { currency } = this;
    throw new OwedBeyondCeiling(field, `${what} on ${valueDate} would take what the loan owes (principal, interest, fees and penalties, due and to come) to ${owed.toFixed()} ${currency}: what a loan owes must be less than 10^15`);
  }

  /** The instalment a charge dated `valueDate` is collected with: the next one due, or the last after maturity. */
  chargedOn(valueDate: string): WorkingInstalment {
    return this.instalments.find((i) => i.dueDate >= valueDate) ?? this.instalments.at(-1)!;
  }

  owesBeyondTolerance(w: WorkingInstalment): boolean {
    return isLate(this.terms, sum(outstandingOf(w)));
  }

  /** Nothing is owed on any instalment. */
  settled(): boolean {
    return this.instalments.every((w) => sum(outstandingOf(w)).isZero());
  }

  /**
   * Marks allocation lines paid, recognising first whatever fees and penalties they pay that were not yet
   * recognised. Interest paid on an instalment not yet fallen due is not income yet: it is held as interest in
   * advance until the instalment falls due. Returns that interest (the repayment credits it to the liability).
   */
  book(lines: readonly AllocationLine[], valueDate: string): Decimal {
    const byNumber = new Map(this.instalments.map((w) => [w.number, w]));
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
      this.recognise(w, valueDate, amounts);
    }
    for (const line of lines) {
      const w = byNumber.get(line.instalment)!;
      w.paid[line.component] = w.paid[line.component].plus(line.amount);
    }
    return inAdvance;
  }

  /** Applies money (a repayment, or held money drawn on) by the loan's rule. */
  apply(amount: Decimal, valueDate: string, repaymentId: string | null): void {
    const allocation = allocateRepayment({ currency: this.currency, rule: this.rule, payment: { amount, valueDate }, instalments: owingOf(this.instalments) });
    const inAdvance = this.book(allocation.lines, valueDate);
    const kept = allocation.advance.plus(allocation.excess);
    if (repaymentId !== null) {
      this.post(repaymentOf(allocation.lines, kept, inAdvance), valueDate);
      this.held = this.held.plus(kept);
    } else {
      // Held money paid to receivables: the refund and repayment journals of the same money, the cash legs netted.
      const drawn = allocation.allocated;
      const lines: JournalLine[] = [
        ...journalFor({ kind: 'refund', amount: drawn }, this.context(valueDate)).lines,
        ...journalFor(repaymentOf(allocation.lines, ZERO, inAdvance), this.context(valueDate)).lines,
      ];
      const netted = lines.filter((l) => l.account !== this.accounts.cash);
      const before = this.principalOwed;
      if (netted.length > 0) this.postLines(valueDate, netted);
      if (this.participations.length > 0) shareEvent(this, repaymentOf(allocation.lines, ZERO, inAdvance), valueDate, before, this.principalOwed);
      this.held = this.held.minus(drawn);
    }
    if (allocation.lines.length > 0 || repaymentId !== null) {
      this.allocations.push({ repaymentId, valueDate, amount, lines: allocation.lines, held: kept, reasons: allocation.held });
    }
  }

  /** Whenever something falls due, money the borrower already gave is drawn on first. */
  drawOnHeld(valueDate: string): void {
    if (this.held.gt(0)) this.apply(this.held, valueDate, null);
  }

  /** Held money that is an advance for instalments due after `date` (only a `holdAsAdvance` rule keeps one). */
  advanceOn(date: string): Decimal {
    if (this.rule.future !== 'holdAsAdvance') return ZERO;
    let ahead = ZERO;
    for (const w of this.instalments) {
      if (w.dueDate <= date) continue;
      const outstanding = outstandingOf(w);
      for (const c of this.rule.futureOrder) ahead = more(ahead, outstanding[c]);
    }
    return Decimal.min(this.held, ahead);
  }

  /** What closes the loan on `date` as it stands: everything owed, less what is held. */
  quoteOn(date: string): PayoffQuote {
    const owed = zeros();
    for (const w of this.instalments) {
      const outstanding = outstandingOf(w);
      for (const c of COMPONENTS) owed[c] = more(owed[c], outstanding[c]);
    }
    const total = sum(owed).minus(this.held);
    return { date, principal: owed.principal, interest: owed.interest, fees: owed.fee, penalties: owed.penalty, held: this.held, total: total.isNegative() ? ZERO : total };
  }
}
