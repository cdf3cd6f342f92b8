// What an origination partner earns on a loan it brought (docs/commissions.md).
import { Decimal, minorUnits } from '../money.js';

/**
 * The commission a rule gives on a principal, in the loan's currency: its percentage rounded half to even to the
 * currency's minor unit, and at most the cap. A cap finer than the currency's minor unit (100.005 on a dollar loan,
 * 100.5 on a yen loan; the rule holds one cap for loans in any currency) counts as the whole minor units below it,
 * so no journal ever carries a fraction of a cent and the partner never gets more than the cap.
 */
export function commissionOn(principal: Decimal, rule: { percent: Decimal; cap: Decimal | null }, currency: string): Decimal {
  const places = minorUnits(currency);
  const amount = principal.times(rule.percent).div(100).toDecimalPlaces(places, Decimal.ROUND_HALF_EVEN);
  if (rule.cap === null) return amount;
  const cap = rule.cap.toDecimalPlaces(places, Decimal.ROUND_DOWN);
  return amount.gt(cap) ? cap : amount;
}
