// What a lender may set as a product's limits, checked once for a new or cloned product: amounts in whole minor
// units with the smallest no larger than the largest, tenors in whole months likewise, and the product's own terms
// fitting inside them (its default number of repayments, its fees). The loan-by-loan rule stays `assertWithinProduct`.
import { InvalidField } from '../../errors.js';
import { AMOUNT_CEILING, Decimal, minorUnits } from '../money.js';
import { assertAmountsWithinProduct, assertWithinProduct, MAX_REPAYMENTS, type LoanTerms, type ProductLimits } from './product.js';

/** The longest tenor a product may allow, in months: as many as the most instalments, monthly. */
export const MAX_TENOR_MONTHS = MAX_REPAYMENTS;

function isLendable(amount: Decimal, places: number): boolean {
  return amount.isFinite() && amount.gt(0) && amount.lt(AMOUNT_CEILING) && amount.decimalPlaces() <= places;
}

/**
 * Throws InvalidField naming the first limit that no loan could meet, or the first term the limits rule out.
 * Limit fields are named `limits.minAmount` …; term fields as `loanTerms` names them (`numberOfRepayments`, `fees.perInstalment`).
 */
export function assertValidLimits(limits: ProductLimits, terms: LoanTerms): void {
  const places = minorUnits(limits.currency);
  if (!isLendable(limits.minPrincipal, places)) throw new InvalidField('limits.minAmount', `the smallest amount must be more than zero, in whole minor units of ${limits.currency}`);
  if (!isLendable(limits.maxPrincipal, places)) throw new InvalidField('limits.maxAmount', `the largest amount must be more than zero, in whole minor units of ${limits.currency}`);
  if (limits.maxPrincipal.lt(limits.minPrincipal)) throw new InvalidField('limits.maxAmount', 'the largest amount may not be less than the smallest');
  for (const [field, months] of [['limits.minTenorMonths', limits.minTenorMonths], ['limits.maxTenorMonths', limits.maxTenorMonths]] as const) {
    if (!Number.isInteger(months) || months < 1 || months > MAX_TENOR_MONTHS) throw new InvalidField(field, `a tenor is a whole number of months from 1 to ${MAX_TENOR_MONTHS}`);
  }
  if (limits.maxTenorMonths < limits.minTenorMonths) throw new InvalidField('limits.maxTenorMonths', 'the longest tenor may not be shorter than the shortest');
  // The default tenor must itself be one the product allows: the one product-limit rule says so.
  assertWithinProduct(limits, { principal: limits.minPrincipal, numberOfRepayments: terms.numberOfRepayments, every: terms.repaymentEvery });
  assertAmountsWithinProduct(terms, limits.maxPrincipal);
}
