// What an origination partner earns on a loan it brought (docs/commissions.md).
import { InvalidField } from '../../errors.js';
import { Decimal, minorUnits } from '../money.js';

export interface CommissionRule {
  /** Of the principal paid out at booking: more than 0, at most 100, at most 4 places. */
  percent: Decimal;
  /** The most per loan, in whole minor units of the lender's currency; null for none. */
  cap: Decimal | null;
  /** Clawed back when the loan closes within this many days of its disbursement: 0 to 3650. */
  clawbackDays: number;
}

/** Throws InvalidField naming the field of a rule a lender may not set (the cap as any amount the lender enters). */
export function assertCommissionRule(rule: CommissionRule, lenderCurrency: string): void {
  if (!rule.percent.gt(0) || rule.percent.gt(100) || rule.percent.decimalPlaces() > 4) {
    throw new InvalidField('percent', 'percent must be more than 0 and at most 100, with at most 4 digits after the point');
  }
  if (rule.cap !== null && (!rule.cap.gt(0) || rule.cap.decimalPlaces() > minorUnits(lenderCurrency))) {
    throw new InvalidField('cap', `cap must be more than zero, in whole minor units of ${lenderCurrency}`);
  }
  if (!Number.isInteger(rule.clawbackDays) || rule.clawbackDays < 0 || rule.clawbackDays > 3650) {
    throw new InvalidField('clawbackDays', 'clawbackDays must be a whole number of days from 0 to 3650');
  }
}

/**
 * The commission a rule gives on a principal, in the loan's currency: its percentage rounded half to even to the
 * currency's minor unit, and at most the cap. The rule holds one cap, in whole minor units of the lender's currency,
 * for loans in any currency: on a loan whose currency has fewer minor units (100.50 on a yen loan), and on a rule set
 * before caps were held to them (100.005), it counts as the whole minor units below it, so no journal ever carries
 * a fraction of a unit and the partner never gets more than the cap.
 */
export function commissionOn(principal: Decimal, rule: { percent: Decimal; cap: Decimal | null }, currency: string): Decimal {
  const places = minorUnits(currency);
  const amount = principal.times(rule.percent).div(100).toDecimalPlaces(places, Decimal.ROUND_HALF_EVEN);
  if (rule.cap === null) return amount;
  const cap = rule.cap.toDecimalPlaces(places, Decimal.ROUND_DOWN);
  return amount.gt(cap) ? cap : amount;
}
