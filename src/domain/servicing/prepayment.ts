// What is left of a schedule after a prepayment: the remaining instalments regenerated from the prepayment's value
// date on the principal still owed, with the loan's own terms and due dates. And the interest a period has earned
// by a date, which a prepayment or a payoff pays before principal. Pure; the loan account replay applies them.
//
// Decisions (also in docs/decisions.md, "Payoff, prepayment, refunds and charges by rule"):
// - Interest earned in the current period by a date is the period's interest pro rata to the days elapsed by the
//   loan's day count, rounded by the product's mode. A per-day product's period interest is itself days × the
//   daily rate, so this is the daily accrual to within the rounding of one minor unit; a per-period product
//   earns its periodic rate evenly over the period's days. Interest deferred by a grace on interest is earned
//   in full as it accrues (`earnedBefore`).
// - reduceInstalment: `generateSchedule` on the principal still owed, from the value date to the same remaining
//   due dates: the first period is broken (value date to the next due date, by the day count), the instalment
//   level is the annuity over the remaining count. The loan's due dates are kept even where the generator,
//   anchored on a month-end date the month-end rule had shortened, would pick others (see `amortize`).
// - reduceTenor: the instalment stays; each period's interest is what `generateSchedule` gives that balance over
//   that period, principal is the instalment less interest, and the instalments stop when the principal is
//   repaid, the last one smaller (as Fineract's and Mambu's "reduce number of installments"). Equal-principal
//   loans keep the principal part. A bullet repays everything at maturity, so there is no tenor to reduce.
// - Principal-free instalments still ahead (interest-only, grace on principal) stay principal-free; a grace on
//   interest does not survive a reschedule: interest deferred so far is earned and paid by the prepayment.
import { InvalidField } from '../../errors.js';
import { Decimal } from '../money.js';
import { roundAmount } from './chargeRules.js';
import { accrualDays } from './dayCount.js';
import type { LoanTerms, PrepaymentReschedule } from './product.js';
import { generateSchedule } from './schedule.js';

/** How a period earns interest: `interest` from `from` to the due date, plus what it had earned before `from`. */
export interface PeriodAccrual {
  from: string;
  interest: Decimal;
  earnedBefore: Decimal;
}

/** The interest a period has earned by `date` (the whole of it on or after its due date). */
export function earnedInterest(terms: LoanTerms, accrual: PeriodAccrual, dueDate: string, date: string): { amount: Decimal; days: number; of: number } {
  const of = Math.max(accrualDays(accrual.from, dueDate, terms), 0);
  if (date >= dueDate || of === 0) return { amount: accrual.earnedBefore.plus(accrual.interest), days: of, of };
  if (date <= accrual.from) return { amount: accrual.earnedBefore, days: 0, of };
  const days = Math.min(Math.max(accrualDays(accrual.from, date, terms), 0), of);
  return { amount: accrual.earnedBefore.plus(roundAmount(accrual.interest.times(days).div(of), terms)), days, of };
}

export interface RemainingScheduleRequest {
  /** The principal still owed once the prepayment is applied; more than zero. */
  principal: Decimal;
  /** The prepayment's value date: the regenerated schedule earns interest from here. */
  valueDate: string;
  /** The loan's due dates after the value date, in order. */
  dueDates: readonly string[];
  /** Instalments still ahead that repay no principal (interest-only or principal grace). */
  principalFreeLeft: number;
  reschedule: PrepaymentReschedule;
  /** reduceTenor: the instalment to keep (principal + interest; the principal part for equal-principal). */
  level: Decimal | null;
}

export interface RemainingInstalment {
  dueDate: string;
  principal: Decimal;
  interest: Decimal;
  fee: Decimal;
}

export interface RemainingSchedule {
  instalments: RemainingInstalment[];
  /** The level of the regenerated instalments (as `Schedule.levelAmount`). */
  level: Decimal | null;
}

/** How the remaining schedule amortizes: the booked amortization once interest-only periods are over. */
function amortizingKind(terms: LoanTerms): 'equal-instalments' | 'equal-principal' | 'bullet' {
  const a = terms.amortization;
  return a.kind === 'interest-only' ? a.then : a.kind;
}

/** Terms for regenerating `count` instalments: no interest grace, no disbursement fee, principal-free periods left. */
function regenerationTerms(terms: LoanTerms, count: number, principalFreeLeft: number): LoanTerms {
  const kind = amortizingKind(terms);
  return {
    ...terms,
    numberOfRepayments: count,
    amortization: { kind },
    grace: { principalPeriods: kind === 'bullet' ? 0 : Math.min(Math.max(principalFreeLeft, 0), count - 1), interestPeriods: 0 },
    fees: { perInstalment: terms.fees.perInstalment, disbursement: null },
  };
}

/** The interest `generateSchedule` gives `balance` over one period from `from` to `dueDate`. */
function periodInterest(terms: LoanTerms, balance: Decimal, from: string, dueDate: string): Decimal {
  const one = regenerationTerms({ ...terms, amortization: { kind: 'equal-instalments' } }, 1, 0);
  return generateSchedule({ ...one, fees: { perInstalment: new Decimal(0), disbursement: null } }, { principal: balance, disbursementDate: from, firstRepaymentDate: dueDate }).instalments[0]!.interest;
}

export function remainingSchedule(terms: LoanTerms, request: RemainingScheduleRequest): RemainingSchedule {
  const { principal, valueDate, dueDates } = request;
  if (dueDates.length === 0 || !principal.gt(0)) throw new RangeError('a remaining schedule needs principal and due dates');
  const kind = amortizingKind(terms);
  if (request.reschedule === 'reduceInstalment') {
    const regenerated = generateSchedule(regenerationTerms(terms, dueDates.length, request.principalFreeLeft), {
      principal,
      disbursementDate: valueDate,
      firstRepaymentDate: dueDates[0],
    });
    if (regenerated.instalments.every((i, k) => i.dueDate === dueDates[k])) {
      return {
        instalments: regenerated.instalments.map((i) => ({ dueDate: i.dueDate, principal: i.principal, interest: i.interest, fee: i.fee })),
        level: regenerated.levelAmount,
      };
    }
    // The generator anchors on the next due date; when the month-end rule had shortened that one (a loan due on the
    // 31st, next due on the 28th) its later dates differ from the loan's. Keep the loan's dates: the same level,
    // each period's interest over the loan's own period, as the generator computes a period.
    if (terms.interestType === 'declining-balance') {
      return { instalments: amortize(terms, request, regenerated.levelAmount, kind), level: regenerated.levelAmount };
    }
    return {
      instalments: regenerated.instalments.map((i, k) => ({ dueDate: dueDates[k]!, principal: i.principal, interest: i.interest, fee: i.fee })),
      level: regenerated.levelAmount,
    };
  }
  if (kind === 'bullet' || request.level === null) {
    throw new InvalidField('reschedule', 'a bullet loan repays its principal at maturity: a prepayment can reduce the instalment, not the tenor');
  }
  return { instalments: amortize(terms, request, request.level, kind), level: request.level };
}

/**
 * The remaining instalments at `level` over the loan's own due dates: each period's interest as `generateSchedule`
 * computes that period for the balance, principal the level less interest (or the level itself for equal
 * principal, nothing for a bullet before its last), stopping when the principal is repaid; the last takes the rest.
 */
function amortize(terms: LoanTerms, request: RemainingScheduleRequest, level: Decimal | null, kind: 'equal-instalments' | 'equal-principal' | 'bullet'): RemainingInstalment[] {
  const { principal, valueDate, dueDates } = request;
  const flat = terms.interestType === 'flat';
  const instalments: RemainingInstalment[] = [];
  let balance = principal;
  for (let k = 0; k < dueDates.length && balance.gt(0); k += 1) {
    const from = k === 0 ? valueDate : dueDates[k - 1]!;
    // Flat interest stays on the principal the schedule was regenerated on; declining balance on what is left.
    const interest = periodInterest(terms, flat ? principal : balance, from, dueDates[k]!);
    const last = k === dueDates.length - 1;
    let part: Decimal;
    if (last) part = balance;
    else if (kind === 'bullet' || level === null || k < request.principalFreeLeft) part = new Decimal(0);
    else if (kind === 'equal-principal') part = Decimal.min(balance, level);
    else part = Decimal.min(balance, Decimal.max(level.minus(interest), 0));
    balance = balance.minus(part);
    instalments.push({ dueDate: dueDates[k]!, principal: part, interest, fee: terms.fees.perInstalment });
  }
  return instalments;
}
