// Co-lending in the replay: every money event of a loan with participations posts, beside its own journal, the
// partners' parts of it (coLending.ts says how each is computed). Because they are posted by the replay, the
// ledger's partner accounts follow the replay like the receivables do: a backdated payment or a reversal re-splits
// by replaying, and the difference is posted as a correction. Per partner, two liabilities: `funded` (its share of
// the principal still lent) and `payable` (what the lender owes it from collections, until settled).
import { Decimal } from '../../money.js';
import { interestRatios, partnerInterest, partnerPartAtShare, partnerPrincipalMove, type LoanParticipation } from '../coLending.js';
import type { FinancialEvent, JournalLine } from '../ledger.js';
import type { Amounts } from '../loanAccount.js';
import type { WorkingState } from './workingState.js';

const ZERO = new Decimal(0);

/** What happened to the loan's principal in an event, as far as the partners are concerned. */
type PrincipalMove = 'funded' | 'collected' | 'lost' | 'capitalised';

interface Leg {
  account: string;
  /** Positive: debit; negative: credit. */
  amount: Decimal;
}

function linesOf(legs: readonly Leg[]): JournalLine[] {
  return legs.filter((l) => !l.amount.isZero()).map((l) => ({
    account: l.account,
    debit: l.amount.gt(0) ? l.amount : ZERO,
    credit: l.amount.lt(0) ? l.amount.negated() : ZERO,
  }));
}

function inEffect(state: WorkingState, valueDate: string): LoanParticipation[] {
  return state.participations.filter((p) => p.from <= valueDate && (p.until == null || valueDate < p.until));
}

/** The partner's principal moving with the loan's, from `before` to `after`, booked against what moved it. */
function principalLegs(state: WorkingState, p: LoanParticipation, move: PrincipalMove, before: Decimal, after: Decimal, capitalisedFrom: 'interest' | 'fee' | 'penalty' = 'interest'): Leg[] {
  // Signed: more owed, more of the partner's money in the loan.
  const part = partnerPrincipalMove(p.sharePercent, before, after, state.currency);
  if (part.isZero()) return [];
  const { accounts } = state;
  const other = move === 'funded' ? accounts.cash
    : move === 'collected' ? p.accounts.payable
      : move === 'lost' ? accounts.writeOffExpense
        : accounts[capitalisedFrom === 'interest' ? 'interestIncome' : capitalisedFrom === 'fee' ? 'feeIncome' : 'penaltyIncome'];
  // The funded liability grows by `part` (a credit); the other side takes the debit: cash in, or payable/expense
  // relieved when it shrinks (collected: moved to payable; lost: the partner bears its share of the loss).
  return [{ account: p.accounts.funded, amount: part.negated() }, { account: other, amount: part }];
}

/** Interest, fees and penalties collected (signed: money given back is negative), each partner's part to its payable. */
function chargeLegs(state: WorkingState, p: LoanParticipation, collected: Partial<Amounts>, valueDate: string): Leg[] {
  const { accounts, currency } = state;
  const legs: Leg[] = [];
  const interest = collected.interest ?? ZERO;
  if (!interest.isZero()) {
    const { gross, servicingFee } = partnerInterest(p, interest, state.terms.annualRatePercent, currency, interestRatios(inEffect(state, valueDate), state.terms.annualRatePercent).get(p));
    legs.push({ account: accounts.interestIncome, amount: gross }, { account: p.accounts.payable, amount: gross.minus(servicingFee).negated() }, { account: p.accounts.servicingFee, amount: servicingFee.negated() });
  }
  for (const c of ['fee', 'penalty'] as const) {
    const amount = collected[c] ?? ZERO;
    if (amount.isZero() || !(c === 'fee' ? p.sharesFees : p.sharesPenalties)) continue;
    const part = partnerPartAtShare(p.sharePercent, amount, currency);
    legs.push({ account: accounts[c === 'fee' ? 'feeIncome' : 'penaltyIncome'], amount: part }, { account: p.accounts.payable, amount: part.negated() });
  }
  return legs;
}

function postLegs(state: WorkingState, valueDate: string, legs: readonly Leg[]): void {
  const lines = linesOf(legs);
  if (lines.length > 0) state.journals.push({ loanId: state.loan.id, currency: state.currency, valueDate, lines });
}

/** The partners' parts of a financial event, the loan's principal having moved from `before` to `after` with it. */
export function shareEvent(state: WorkingState, event: FinancialEvent, valueDate: string, before: Decimal, after: Decimal): void {
  for (const p of inEffect(state, valueDate)) {
    const legs: Leg[] = [];
    switch (event.kind) {
      case 'disbursement':
        legs.push(...principalLegs(state, p, 'funded', before, after));
        break;
      case 'repayment':
        legs.push(...principalLegs(state, p, 'collected', before, after), ...chargeLegs(state, p, event.allocated, valueDate));
        break;
      case 'advanceInterestApplied':
        legs.push(...chargeLegs(state, p, { interest: event.amount }, valueDate));
        break;
      case 'writeOff':
        legs.push(...principalLegs(state, p, 'lost', before, after));
        break;
      case 'recovery': {
        // Money after a write-off in full is shared as the loss was: at the partner's share of principal.
        const part = partnerPartAtShare(p.sharePercent, event.amount, state.currency);
        legs.push({ account: state.accounts.recoveryIncome, amount: part }, { account: p.accounts.payable, amount: part.negated() });
        break;
      }
      case 'chargesDue':
      case 'waiver':
      case 'refund':
        // Nothing collected: a charge or a waiver changes what will be collected, and the split follows collections.
        break;
    }
    postLegs(state, valueDate, legs);
  }
}

/** Money the loan had taken as income given back to the borrower (a fee paid ahead that a reschedule dropped). */
export function shareGivenBack(state: WorkingState, valueDate: string, given: Partial<Amounts>): void {
  const negated = Object.fromEntries(Object.entries(given).map(([c, v]) => [c, (v as Decimal).negated()])) as Partial<Amounts>;
  for (const p of inEffect(state, valueDate)) postLegs(state, valueDate, chargeLegs(state, p, negated, valueDate));
}

/**
 * Arrears capitalised by a restructure: the loan's principal grows by what was interest, fees and penalties, and
 * the partner's principal with it (its share of the principal, always).
 */
export function shareCapitalised(state: WorkingState, valueDate: string, capitalised: Amounts, before: Decimal, after: Decimal): void {
  const participations = inEffect(state, valueDate);
  const ratios = interestRatios(participations, state.terms.annualRatePercent);
  for (const p of participations) {
    const whole = partnerPrincipalMove(p.sharePercent, before, after, state.currency);
    if (whole.isZero()) continue;
    // What the partner would have been paid of the arrears had they been collected comes from that income; the
    // rest of its new principal (fees or penalties it does not share, interest beyond its rate) it funds in cash.
    const fromIncome = {
      interest: partnerInterest(p, capitalised.interest, state.terms.annualRatePercent, state.currency, ratios.get(p)).gross,
      fee: p.sharesFees ? partnerPartAtShare(p.sharePercent, capitalised.fee, state.currency) : ZERO,
      penalty: p.sharesPenalties ? partnerPartAtShare(p.sharePercent, capitalised.penalty, state.currency) : ZERO,
    };
    let left = whole;
    const legs: Leg[] = [{ account: p.accounts.funded, amount: whole.negated() }];
    for (const c of ['interest', 'fee', 'penalty'] as const) {
      const part = Decimal.min(fromIncome[c], left);
      legs.push({ account: state.accounts[c === 'interest' ? 'interestIncome' : c === 'fee' ? 'feeIncome' : 'penaltyIncome'], amount: part });
      left = left.minus(part);
    }
    legs.push({ account: state.accounts.cash, amount: left });
    postLegs(state, valueDate, legs);
  }
}

/**
 * A participation assigned after disbursement: when the replay first reaches a date on or after its `from`, the
 * partner funds its share of the principal then owed (valued on `from`: nothing moved the principal in between);
 * one bought back: when it first reaches its `until`, the partner's principal then moves to its payable.
 * `reached` is the last date the replay had reached before this step.
 */
export function fundAssigned(state: WorkingState, reached: string, date: string): void {
  for (const p of state.participations) {
    if (p.from > reached && p.from <= date) postLegs(state, p.from, principalLegs(state, p, 'funded', ZERO, state.principalOwed));
    // Bought back under the guarantee: its principal then is paid out to it, at par, and its share ends.
    if (p.until != null && p.until > reached && p.until <= date && p.from < p.until) {
      postLegs(state, p.until, principalLegs(state, p, 'collected', state.principalOwed, ZERO));
    }
  }
}
