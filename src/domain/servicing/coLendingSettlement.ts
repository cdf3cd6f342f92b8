// What a settlement with a co-lending partner pays: the partner's payable lines not yet settled, valued up to the
// settlement's date. A line is an adjustment when it changes a period an earlier settlement covered — valued on or
// before the last settlement's date: a backdated payment or a reversal replayed after a settlement — so it is paid
// (or taken back) in the next one, shown as such, never silently. A settlement pays only when
// the lines come to more than nothing; otherwise they wait for the next (a reversal larger than the new
// collections is netted against later ones). Values in, values out.
import { Decimal } from '../money.js';

export interface OpenPayableLine {
  loanId: string;
  valueDate: string;
  /** Credit less debit on the partner's payable: what the lender came to owe it (negative for a correction back). */
  amount: Decimal;
}

export interface SettlementFigures {
  collections: Decimal;
  adjustments: Decimal;
  amount: Decimal;
  /** Whether it pays now: the lines come to more than nothing. */
  pays: boolean;
  lines: (OpenPayableLine & { adjustment: boolean })[];
}

export function settlementFigures(lines: readonly OpenPayableLine[], previousThrough: string | null): SettlementFigures {
  let collections = new Decimal(0);
  let adjustments = new Decimal(0);
  const marked = lines.map((line) => {
    const adjustment = previousThrough !== null && line.valueDate <= previousThrough;
    if (adjustment) adjustments = adjustments.plus(line.amount);
    else collections = collections.plus(line.amount);
    return { ...line, adjustment };
  });
  const amount = collections.plus(adjustments);
  return { collections, adjustments, amount, pays: amount.gt(0), lines: marked };
}
