// A product's pricing, as the lender drafts it: the annual rate for each risk grade of the product's credit policy,
// the fees an offer carries and how long an offer stands. Checked here as values, before anything is written.
//
// How pricing relates to the product's own terms:
// - A grade's rate is the table's; a grade priced `null` takes the product's current rate (the rate of its
//   current terms version), so a lender may price some grades and let the others follow the product.
// - Fees `null` take the product's current terms' fees; fees given replace them on the offer.
// - Every rate lies within the product's rate limits (0 % to 100 % while a product records none of its own).
import { InvalidField } from '../../errors.js';
import { Decimal, minorUnits } from '../money.js';
import type { DisbursementFeeTreatment } from '../servicing/product.js';

/** The most grades one pricing prices (A to Z). */
export const MAX_PRICED_GRADES = 26;

export interface PricingFees {
  perInstalment: string;
  disbursement: { amount: string; treatment: DisbursementFeeTreatment } | null;
}

/** One grade's rate as drafted: percent a year as decimal text, or null for the product's current rate. */
export interface GradeRate {
  grade: string;
  annualRatePercent: string | null;
}

export interface PricingDraft {
  rates: GradeRate[];
  /** Null: the product's current terms' fees. */
  fees: PricingFees | null;
  offerValidityDays: number;
}

export interface PricingContext {
  currency: string;
  /** The grades the product's active credit policy assigns; every one needs a rate. */
  grades: readonly string[];
  rateBand: { min: Decimal; max: Decimal };
  /** A fee may not be more than the product's largest principal. */
  maxPrincipal: Decimal;
}

/**
 * The rate limits of a product: its own (`minAnnualRatePercent` / `maxAnnualRatePercent`) when it records them,
 * else 0 % to 100 %.
 */
export function productRateBand(row: object): { min: Decimal; max: Decimal } {
  const product = row as { minAnnualRatePercent?: { toString(): string } | null; maxAnnualRatePercent?: { toString(): string } | null };
  return {
    min: new Decimal(product.minAnnualRatePercent?.toString() ?? 0),
    max: new Decimal(product.maxAnnualRatePercent?.toString() ?? 100),
  };
}

function decimalOrNull(text: string): Decimal | null {
  try {
    const value = new Decimal(text);
    return value.isFinite() ? value : null;
  } catch {
    return null;
  }
}

function assertFee(field: string, amount: string, context: PricingContext): void {
  const value = decimalOrNull(amount);
  if (value === null || value.isNegative() || value.decimalPlaces() > minorUnits(context.currency)) {
    throw new InvalidField(field, `a fee is zero or more, in whole minor units of ${context.currency}`);
  }
  if (value.gt(context.maxPrincipal)) {
    throw new InvalidField(field, `a fee may not be more than the product's largest principal, ${context.maxPrincipal.toFixed()} ${context.currency}`);
  }
}

/** Throws InvalidField naming the drafted field (`rates[1].annualRatePercent`, `offerValidityDays`) that is wrong. */
export function assertValidPricing(draft: PricingDraft, context: PricingContext): void {
  if (!Array.isArray(draft.rates) || draft.rates.length === 0) throw new InvalidField('rates', 'pricing needs a rate for every risk grade');
  if (draft.rates.length > MAX_PRICED_GRADES) throw new InvalidField('rates', `pricing prices at most ${MAX_PRICED_GRADES} grades`);
  const seen = new Set<string>();
  for (const [k, rate] of draft.rates.entries()) {
    const grade = rate.grade?.trim();
    if (!grade || grade.length > 20) throw new InvalidField(`rates[${k}].grade`, 'a grade is a short name such as "A"');
    if (seen.has(grade)) throw new InvalidField(`rates[${k}].grade`, `grade ${grade} is priced twice`);
    seen.add(grade);
    if (context.grades.length > 0 && !context.grades.includes(grade)) {
      throw new InvalidField(`rates[${k}].grade`, `the product's credit policy has no grade ${grade} (it has ${context.grades.join(', ')})`);
    }
    if (rate.annualRatePercent === null) continue;
    const value = decimalOrNull(rate.annualRatePercent);
    if (value === null || value.isNegative()) throw new InvalidField(`rates[${k}].annualRatePercent`, 'a rate is zero or more percent a year');
    if (value.decimalPlaces() > 4) throw new InvalidField(`rates[${k}].annualRatePercent`, 'a rate has at most 4 decimal places');
    const band = context.rateBand;
    if (value.lt(band.min) || value.gt(band.max)) {
      throw new InvalidField(`rates[${k}].annualRatePercent`, `grade ${grade}'s rate must be within the product's limits, from ${band.min.toString()} % to ${band.max.toString()} %`);
    }
  }
  const missing = context.grades.filter((grade) => !seen.has(grade));
  if (missing.length > 0) throw new InvalidField('rates', `every grade of the product's credit policy needs a rate; missing: ${missing.join(', ')}`);
  if (draft.fees) {
    assertFee('feePerInstalment', draft.fees.perInstalment, context);
    if (draft.fees.disbursement) {
      assertFee('disbursementFee', draft.fees.disbursement.amount, context);
      if (draft.fees.disbursement.treatment !== 'deducted' && draft.fees.disbursement.treatment !== 'financed') {
        throw new InvalidField('disbursementFeeTreatment', 'a disbursement fee is deducted or financed');
      }
    }
  }
  if (!Number.isInteger(draft.offerValidityDays) || draft.offerValidityDays < 1 || draft.offerValidityDays > 366) {
    throw new InvalidField('offerValidityDays', 'an offer stands for a whole number of days from 1 to 366');
  }
}

/** The stored table: grade → rate text (or null for the product's rate). */
export function ratesByGradeOf(rates: GradeRate[]): Record<string, string | null> {
  return Object.fromEntries(rates.map((rate) => [rate.grade.trim(), rate.annualRatePercent === null ? null : new Decimal(rate.annualRatePercent).toString()]));
}
