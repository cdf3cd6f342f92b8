// Charges that arise from a loan's terms and the passing of time rather than from anyone posting them: late fees,
// penalty interest on overdue principal, fees that fall due on fixed dates, and the underpayment tolerance that
// decides what counts as late. Pure amounts and dates; the loan account replay decides when to ask (loanAccount.ts,
// and docs/decisions.md, "Payoff, prepayment, refunds and charges by rule").
import type { Decimal as DecimalJs } from 'decimal.js';
import { addDays } from '../calendar.js';
import { Decimal, minorUnits } from '../money.js';
import { conventionName, yearFraction, accrualDays } from './dayCount.js';
import type { LateFee, LoanTerms, RoundingMode } from './product.js';

const ROUNDING: Record<RoundingMode, DecimalJs.Rounding> = {
  'half-even': Decimal.ROUND_HALF_EVEN,
  'half-up': Decimal.ROUND_HALF_UP,
  down: Decimal.ROUND_DOWN,
  up: Decimal.ROUND_UP,
};

/** An amount rounded to the currency's minor units by the product's rounding mode (a named rounding point). */
export function roundAmount(value: Decimal, terms: Pick<LoanTerms, 'currency' | 'roundingMode'>): Decimal {
  return value.toDecimalPlaces(minorUnits(terms.currency), ROUNDING[terms.roundingMode]);
}

/** Owing this much or less is not late (the terms' underpayment tolerance; zero when absent). */
export function isLate(terms: LoanTerms, owing: Decimal): boolean {
  return owing.gt(terms.underpaymentTolerance ?? 0);
}

/** The day a late fee is charged: the day after the grace days that follow the due date. */
export function lateFeeDate(lateFee: LateFee, dueDate: string): string {
  return addDays(dueDate, lateFee.graceDays + 1);
}

/** A late fee on an instalment that still owes `owing` of principal, interest and fees, with why. */
export function lateFeeAmount(terms: LoanTerms, lateFee: LateFee, owing: Decimal): { amount: Decimal; how: string } {
  if (lateFee.kind === 'fixed') return { amount: lateFee.amount, how: `a fixed late fee of ${lateFee.amount.toFixed()}` };
  const amount = roundAmount(owing.times(lateFee.percent).div(100), terms);
  return { amount, how: `${lateFee.percent.toFixed()} % of ${owing.toFixed()} still owed` };
}

/** Penalty interest on `principal` overdue from `from` to `to` at the terms' penalty rate, by the loan's day count. */
export function penaltyInterest(terms: LoanTerms, principal: Decimal, from: string, to: string): { amount: Decimal; how: string } {
  const rate = terms.penaltyRatePercent ?? new Decimal(0);
  const amount = roundAmount(principal.times(rate).div(100).times(yearFraction(from, to, terms)), terms);
  const days = accrualDays(from, to, terms);
  return {
    amount,
    how: `${rate.toFixed()} % a year on overdue principal ${principal.toFixed()} from ${from} to ${to} (${days} day${days === 1 ? '' : 's'}, ${conventionName(terms)})`,
  };
}
