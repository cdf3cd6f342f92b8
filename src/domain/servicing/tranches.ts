// Multi-tranche disbursement: a loan approved for an amount and paid out in parts on dates. The first tranche is
// paid out when the loan is booked (it is the loan's `principal`, the schedule is booked on it); each later one is
// a `tranche` transaction of the replay, which posts it to the ledger and regenerates the instalments still to
// come for the principal then outstanding (replay/handlers.ts). Here: the plan checked at booking, the check a
// new tranche must pass against what is already paid out, and the tranches as a lender reads them (planned
// against paid). Pure: values in, values out.
//
// Decisions (also in docs/decisions.md, "Multi-tranche disbursement"), as Apache Fineract's multi-disbursement
// loans do it:
// - The loan carries an approved amount and a plan of tranches (expected date, expected amount). The plan adds up
//   to at most the approved amount; its first tranche is the one paid at booking, on the disbursement date, for
//   the booked principal. The approved amount is what the product's limits apply to.
// - A later tranche is paid on a date on or after the latest tranche already paid (the booking's date for the
//   second), on or before the business date (the service's check), before the loan's last due date (there must
//   be an instalment left to repay it), and never beyond the approved amount less what is already paid out.
//   Actual tranches may differ from the plan in date and amount: the k-th paid tranche is the k-th planned one;
//   a tranche beyond the plan is an unplanned one, still within the approved amount.
// - Interest runs only on what was paid out: the current period keeps the interest it earned on the old balance
//   up to the tranche's date, and from that date the instalments still to come are regenerated for the principal
//   they owe plus the tranche, by the product's rule over the same due dates (as a reduce-instalment prepayment
//   regenerates them, with the opposite sign). Instalments already due are not touched.
// - A tranche posts a disbursement journal: loan principal receivable debit, cash credit. The product's
//   disbursement fee is charged once, on the first tranche (at booking); later tranches carry no fee.
// - A tranche is reversed like a repayment: the reversal takes it out of the replay from the reversal's date, the
//   schedule is as if it had never been paid out, and the ledger posts the correction on the tranche's date. Its
//   amount is then free to pay out again.
// - What is approved and not yet paid out is the undisbursed remainder; nothing in the schedule or the ledger
//   depends on it until it is paid out.
import { InvalidField } from '../../errors.js';
import { isDate } from '../calendar.js';
import { Decimal, minorUnits } from '../money.js';

/** The most tranches a plan may carry. */
export const MAX_TRANCHES = 24;

export interface PlannedTranche {
  expectedDate: string;
  amount: Decimal;
}

export interface TranchePlan {
  approvedPrincipal: Decimal;
  /** In date order; the first is paid at booking. */
  tranches: PlannedTranche[];
}

/** A tranche paid out: the booking's (transactionId null) or a `tranche` transaction in effect. */
export interface PaidTranche {
  transactionId: string | null;
  valueDate: string;
  amount: Decimal;
}

export interface TrancheView {
  number: number;
  expectedDate: string | null;
  expectedAmount: Decimal | null;
  paidDate: string | null;
  paidAmount: Decimal | null;
  transactionId: string | null;
  status: 'paid' | 'planned';
}

export interface TranchesOfLoan {
  approvedPrincipal: Decimal;
  disbursed: Decimal;
  /** Approved and not yet paid out. */
  undisbursed: Decimal;
  tranches: TrancheView[];
}

function wholeAmount(value: Decimal, currency: string, field: string): Decimal {
  if (!value.isFinite() || !value.gt(0) || value.decimalPlaces() > minorUnits(currency)) {
    throw new InvalidField(field, `${field} must be more than zero, in whole minor units of ${currency}`);
  }
  return value;
}

/**
 * The plan a loan is booked with, checked: the approved amount and the tranches (the first paid at booking on
 * `disbursementDate`). Without tranches the whole approved amount is one tranche paid at booking. Fields are named
 * as the booking input names them (`approvedPrincipal`, `tranches.<k>.expectedDate`, `tranches.<k>.amount`).
 */
export function tranchePlanOf(
  input: { approvedPrincipal: Decimal; tranches?: readonly { expectedDate: string; amount: Decimal }[] | null },
  currency: string,
  disbursementDate: string,
): TranchePlan {
  const approvedPrincipal = wholeAmount(input.approvedPrincipal, currency, 'approvedPrincipal');
  const given = input.tranches ?? [];
  if (given.length === 0) return { approvedPrincipal, tranches: [{ expectedDate: disbursementDate, amount: approvedPrincipal }] };
  if (given.length > MAX_TRANCHES) throw new InvalidField('tranches', `a loan is paid out in at most ${MAX_TRANCHES} tranches`);
  let total = new Decimal(0);
  const tranches = given.map((t, k) => {
    if (!isDate(t.expectedDate)) throw new InvalidField(`tranches.${k}.expectedDate`, 'expectedDate must be a business date (YYYY-MM-DD)');
    if (k === 0 && t.expectedDate !== disbursementDate) {
      throw new InvalidField('tranches.0.expectedDate', `the first tranche is paid out at booking, on the disbursement date ${disbursementDate}`);
    }
    if (k > 0 && t.expectedDate < given[k - 1]!.expectedDate) {
      throw new InvalidField(`tranches.${k}.expectedDate`, `tranche ${k + 1} is expected on ${t.expectedDate}, before tranche ${k} on ${given[k - 1]!.expectedDate}`);
    }
    const amount = wholeAmount(t.amount, currency, `tranches.${k}.amount`);
    total = total.plus(amount);
    if (total.gt(approvedPrincipal)) {
      throw new InvalidField(`tranches.${k}.amount`, `the tranches add up to ${total.toFixed(minorUnits(currency))} ${currency}, more than the approved ${approvedPrincipal.toFixed(minorUnits(currency))}`);
    }
    return { expectedDate: t.expectedDate, amount };
  });
  return { approvedPrincipal, tranches };
}

/** What may still be paid out: the approved amount less what is paid. */
export function undisbursedOf(approvedPrincipal: Decimal, paid: readonly PaidTranche[]): Decimal {
  return paid.reduce((left, t) => left.minus(t.amount), approvedPrincipal);
}

/**
 * Refuses a new tranche that does not fit what is already paid out (`paid`: the booking's and every tranche in
 * effect, any order): dated before the latest of them, or for more than the approved amount still undisbursed.
 * Fields are the tranche input's (`valueDate`, `amount`).
 */
export function assertTrancheFits(
  loan: { approvedPrincipal: Decimal; currency: string }, paid: readonly PaidTranche[], tranche: { valueDate: string; amount: Decimal },
): void {
  const { currency } = loan;
  const places = minorUnits(currency);
  wholeAmount(tranche.amount, currency, 'amount');
  if (paid.length >= MAX_TRANCHES) throw new InvalidField('loanId', `a loan is paid out in at most ${MAX_TRANCHES} tranches; this one has had them all`);
  const latest = paid.reduce<string | null>((d, t) => (d === null || t.valueDate > d ? t.valueDate : d), null);
  if (latest !== null && tranche.valueDate < latest) {
    throw new InvalidField('valueDate', `a tranche is paid out on or after the previous one, paid on ${latest}`);
  }
  const undisbursed = undisbursedOf(loan.approvedPrincipal, paid);
  if (tranche.amount.gt(undisbursed)) {
    throw new InvalidField('amount', `only ${undisbursed.toFixed(places)} ${currency} of the approved ${loan.approvedPrincipal.toFixed(places)} is left to pay out; the tranche asks for ${tranche.amount.toFixed(places)}`);
  }
}

/**
 * The loan's tranches as a lender reads them: the plan's tranches with what was paid against each (the k-th paid
 * against the k-th planned), then tranches paid beyond the plan; and the approved, disbursed and undisbursed amounts.
 */
export function tranchesOf(plan: TranchePlan, paid: readonly PaidTranche[]): TranchesOfLoan {
  const inOrder = [...paid].sort((a, b) => (a.transactionId === null ? -1 : b.transactionId === null ? 1 : a.valueDate < b.valueDate ? -1 : a.valueDate > b.valueDate ? 1 : 0));
  const count = Math.max(plan.tranches.length, inOrder.length);
  const tranches: TrancheView[] = [];
  for (let k = 0; k < count; k += 1) {
    const planned = plan.tranches[k];
    const done = inOrder[k];
    tranches.push({
      number: k + 1,
      expectedDate: planned?.expectedDate ?? null,
      expectedAmount: planned?.amount ?? null,
      paidDate: done?.valueDate ?? null,
      paidAmount: done?.amount ?? null,
      transactionId: done?.transactionId ?? null,
      status: done ? 'paid' : 'planned',
    });
  }
  const disbursed = inOrder.reduce((s, t) => s.plus(t.amount), new Decimal(0));
  return { approvedPrincipal: plan.approvedPrincipal, disbursed, undisbursed: plan.approvedPrincipal.minus(disbursed), tranches };
}
