// A lender's cash rounding for a currency: the smallest amount it collects in it (100 of a whole-unit currency
// whose small coins are out of use, 0.05 where cash is rounded to five cents). As Apache Fineract's currency
// "in multiples of", it decides the instalment amounts of loans booked in the currency: a product's instalment
// multiple is raised to it when it is finer, so every instalment a borrower is asked for can be paid in cash.
// Payments, balances, interest and fees stay in the currency's minor units (a transfer can pay any amount).
import { InvalidField } from '../../errors.js';
import { Decimal, minorUnits } from '../money.js';
import type { LoanTerms } from './product.js';

/** Refuses a multiple that is not a positive whole number of the currency's minor units, naming `field`. */
/** The largest cash rounding multiple, in the currency's major units. */
export const MAX_CASH_ROUNDING_MULTIPLE = new Decimal(1000);

export function assertCashRoundingMultiple(currency: string, multiple: Decimal, field: string): void {
  const places = minorUnits(currency);
  if (!multiple.isFinite() || !multiple.gt(0) || multiple.decimalPlaces() > places) {
    throw new InvalidField(field, `the cash rounding multiple must be a positive whole number of minor units of ${currency} (${new Decimal(10).pow(-places).toFixed(places)})`);
  }
  // Cash is paid in coins and notes: no denomination a lender rounds to is larger than this.
  if (multiple.gt(MAX_CASH_ROUNDING_MULTIPLE)) throw new InvalidField(field, `the cash rounding multiple must be at most ${MAX_CASH_ROUNDING_MULTIPLE.toFixed()} ${currency}`);
}

/** The smallest positive amount that is a multiple of both (both in whole minor units of `places`). */
export function commonMultiple(a: Decimal, b: Decimal, places: number): Decimal {
  const scale = new Decimal(10).pow(places);
  const x = BigInt(a.times(scale).toFixed(0));
  const y = BigInt(b.times(scale).toFixed(0));
  let [p, q] = [x, y];
  while (q !== 0n) [p, q] = [q, p % q];
  return new Decimal(((x / p) * y).toString()).div(scale);
}

/**
 * The terms a loan is booked (or previewed) with under the lender's cash rounding: the product's instalment
 * multiple when it is already a multiple of the cash multiple, else the least amount that is a multiple of both
 * (a product multiple of 0.01 or 50 under a cash multiple of 100 becomes 100; 150 becomes 300). Unchanged
 * when the lender has no cash rounding for the currency.
 */
export function withCashRounding(terms: LoanTerms, cashMultiple: Decimal | null): LoanTerms {
  if (cashMultiple === null) return terms;
  const instalmentMultiple = commonMultiple(terms.instalmentMultiple, cashMultiple, minorUnits(terms.currency));
  return instalmentMultiple.eq(terms.instalmentMultiple) ? terms : { ...terms, instalmentMultiple };
}
