// A loan account's state as of a business date, replayed from scratch from its terms, its disbursement and its
// transactions (DESIGN.md, "Servicing is replayable"). Nothing is updated in place: a backdated payment or a
// reversal is appended to the transactions and the loan is replayed, so the result is, by construction, what it
// would have been had the transactions arrived in value-date order. Pure: no clock, no database. This file is the
// replay's public face (its types, `replayLoan`, `payoffQuote`); the replay itself is in `replay/`, starting from
// the loop in `replay/replay.ts`.
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
// - A `tranche` pays out more of the approved principal and regenerates the instalments still to come
//   (tranches.ts; docs/decisions.md, "Multi-tranche disbursement").
// - A `writeOff` in full collapses the schedule as a payoff would (interest earned to date falls due, later
//   interest is cancelled), draws on held money, and moves everything still owed to the write-off expenses; no
//   charge arises after it, and money received after it is a recovery (income up to what was written off, the
//   rest held as excess). Only refunds and reversals may follow. A partial write-off gives up `amount` of one
//   component, oldest instalment first, of what has fallen due (principal also of instalments still to come,
//   which are then regenerated for what they still owe). docs/write-off.md has the decisions.
// - Status: written off once written off in full; closed when no instalment owes anything; overdue when an instalment due before `asOf` still owes
//   more than the underpayment tolerance; otherwise active. Days past due count from the due date of the oldest
//   such instalment.
import type { LoanStatus } from './loanStatus.js';
import type { Decimal } from '../money.js';
import type { Allocation, AllocationLine, AllocationRule, Component } from './allocation.js';
import type { AccountMapping, Journal } from './ledger.js';
import type { LoanParticipation } from './coLending.js';
import type { LoanTerms, PrepaymentReschedule } from './product.js';
import { replay } from './replay/replay.js';
import type { Schedule } from './schedule.js';
import type { PositionFacts } from './replay/position.js';
export type { PositionFacts, UpcomingInstalment } from './replay/position.js';

type DecimalInput = Decimal | string;
type ChargeComponent = Exclude<Component, 'principal'>;

export interface LoanAccount {
  id: string;
  terms: LoanTerms;
  rule: AllocationRule;
  /** The first tranche, paid out at booking: the schedule is booked on it. */
  principal: DecimalInput;
  /** What the loan is approved for, when it is paid out in tranches (tranches.ts); absent, the principal. */
  approvedPrincipal?: DecimalInput | undefined;
  disbursementDate: string;
  firstRepaymentDate?: string | undefined;
  accounts?: AccountMapping | undefined;
  /** Co-lending partners' shares, snapshotted from their arrangements (coLending.ts); none when the lender funds it alone. */
  participations?: readonly LoanParticipation[] | undefined;
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
  | { kind: 'prepayment'; id: string; valueDate: string; amount: DecimalInput; reschedule: PrepaymentReschedule; channel?: string; externalRef?: string }
  /** A later tranche paid out: more principal owed from its value date, the instalments still to come regenerated. */
  | { kind: 'tranche'; id: string; valueDate: string; amount: DecimalInput; externalRef?: string }
  /**
   * Gives up what the borrower owes: everything (no amount: a write-off in full, after which money received is a
   * recovery) or `amount` of one component (a partial write-off; the loan goes on).
   */
  | { kind: 'writeOff'; id: string; valueDate: string; amount?: DecimalInput; component?: Component }
  /**
   * New terms from its value date (restructure.ts): arrears capitalised into principal or left due, a new annual
   * rate, a new number of instalments, and a payment holiday of whole periods before the first of them.
   */
  | {
    kind: 'restructure'; id: string; valueDate: string; capitaliseArrears: boolean;
    annualRatePercent?: DecimalInput; instalments?: number; holidayPeriods?: number; holidayInterest?: 'accrue' | 'waive';
  };

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
  /** Given up by write-offs. */
  writtenOff: Amounts;
  /** charged − paid − waived − written off. */
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

export interface TrancheExplanation {
  trancheId: string;
  valueDate: string;
  amount: Decimal;
  /** The instalments still to come before and after the tranche regenerated them. */
  before: RemainingTerms;
  after: RemainingTerms;
}

export interface WriteOffExplanation {
  writeOffId: string;
  valueDate: string;
  /** Everything owed (the loan is written off) or a part of one component. */
  full: boolean;
  component: Component | null;
  /** What was written off, per component. */
  amounts: Amounts;
  lines: { instalment: number; component: Component; amount: Decimal }[];
  /** A partial write-off of principal still to fall due regenerates the instalments still to come. */
  rescheduled: boolean;
}

export interface RecoveryExplanation {
  repaymentId: string;
  valueDate: string;
  amount: Decimal;
  /** Credited to recovery income: at most what was written off and not yet recovered. */
  recovered: Decimal;
  /** Beyond it: held as excess, refundable. */
  held: Decimal;
}

export interface RestructureExplanation {
  restructureId: string;
  valueDate: string;
  /** Arrears moved into the new principal, per component (all zero when they were left due). */
  capitalised: Amounts;
  annualRatePercent: Decimal;
  holidayPeriods: number;
  holidayInterest: 'accrue' | 'waive';
  before: RemainingTerms;
  after: RemainingTerms;
}

/** A loan written off in full: when, how much, and what has come back since. */
export interface WrittenOff {
  on: string;
  total: Decimal;
  recovered: Decimal;
  /** Written off and not yet recovered: what the borrower still owes, off the books. */
  recoverable: Decimal;
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
export type LoanAccountStatus = Extract<LoanStatus, 'active' | 'overdue' | 'closed' | 'written_off'>;

export interface LoanAccountState {
  loanId: string;
  currency: string;
  asOf: string;
  /** The schedule the loan was booked with. */
  schedule: Schedule;
  /** The schedule as it stands after tranches, prepayments and payoffs, with charges added (the instalments' `charged`). */
  currentSchedule: Schedule;
  instalments: InstalmentState[];
  allocations: AllocationExplanation[];
  waivers: WaiverExplanation[];
  refunds: RefundExplanation[];
  prepayments: PrepaymentExplanation[];
  payoffs: PayoffExplanation[];
  ruleCharges: RuleChargeExplanation[];
  /** Tranches paid out after booking, in value-date order. */
  tranches: TrancheExplanation[];
  writeOffs: WriteOffExplanation[];
  recoveries: RecoveryExplanation[];
  /** Set once the loan is written off in full. */
  writtenOff: WrittenOff | null;
  restructures: RestructureExplanation[];
  /** The value date of its latest restructure in effect; null when never restructured. */
  restructuredOn: string | null;
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
  /** What end of day needs to bring the loan forward without a replay (replay/position.ts). */
  position: PositionFacts;
}

export { daysPastDue } from './replay/accountState.js';
export { effectiveTransactions } from './replay/transactions.js';

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

/** The account on `date` and what would close it then, from one replay: what a caller asking both is given. */
export function loanOn(loan: LoanAccount, transactions: readonly LoanTransaction[], date: string): { account: LoanAccountState; payoff: PayoffQuote } {
  const { state, quote } = replay(loan, transactions, date, true);
  return { account: state, payoff: quote! };
}
