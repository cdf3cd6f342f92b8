// A transaction list is checked before the replay starts, so that the replay never guesses: what it applies, in
// which order, and amounts a handler can trust.
import { InvalidField } from '../../../errors.js';
import { dateOf, isDate } from '../../calendar.js';
import { Decimal, minorUnits } from '../../money.js';
import type { LoanTransaction } from '../loanAccount.js';
import { transactionInWords } from '../transactionWords.js';

export function amountOf(value: Decimal | string, currency: string, field: string): Decimal {
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

/**
 * The transactions in effect as of `asOf`, in the order they apply: value date, then arrival. Refuses a list a
 * service should never have accepted (a repeated id, a reversal of nothing or of a reversal, two reversals of
 * one transaction), so that the replay never guesses.
 */
export function effectiveTransactions(transactions: readonly LoanTransaction[], asOf: string): LoanTransaction[] {
  const byId = new Map<string, LoanTransaction>();
  transactions.forEach((t, k) => {
    if (byId.has(t.id)) throw new InvalidField(`transactions[${k}].id`, `${transactionInWords(t)} is listed twice`);
    if (!isDate(t.valueDate)) dateOf(t.valueDate, `transactions[${k}].valueDate`);
    byId.set(t.id, t);
  });
  const reversed = new Set<string>();
  const reversedEver = new Set<string>();
  transactions.forEach((t, k) => {
    if (t.kind !== 'reversal') return;
    const target = byId.get(t.reverses);
    if (!target || target.kind === 'reversal') {
      throw new InvalidField(`transactions[${k}].reverses`, `${transactionInWords(t)} reverses no repayment, prepayment, payoff, refund, charge, waiver or tranche of this loan`);
    }
    if (reversedEver.has(t.reverses)) throw new InvalidField(`transactions[${k}].reverses`, `${transactionInWords(target)} is already reversed`);
    reversedEver.add(t.reverses);
    if (t.valueDate <= asOf) reversed.add(t.reverses);
  });
  const effective = transactions
    .map((t, position) => ({ t, position }))
    .filter(({ t }) => t.kind !== 'reversal' && t.valueDate <= asOf && !reversed.has(t.id));
  effective.sort((a, b) => (a.t.valueDate < b.t.valueDate ? -1 : a.t.valueDate > b.t.valueDate ? 1 : a.position - b.position));
  return effective.map(({ t }) => t);
}
