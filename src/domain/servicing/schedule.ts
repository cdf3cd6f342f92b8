// The repayment schedule a loan is booked with: a pure function of its terms, principal and dates.
//
// Rounding points: each period's interest, the level instalment (or equal principal part, to the product's
// multiple) and the flat interest share are rounded with the product's rounding mode to the currency's minor
// units; principal is what is left of the instalment, so it needs no rounding of its own. The last instalment
// takes whatever principal is still outstanding, so principal always sums exactly to the financed principal.
//
// Inside the generator amounts are whole minor units (bigint) and rates exact fractions (a decimal rate times
// an exact day-count ratio), so each rounding point rounds the exact value: a true tie such as 453.125 is seen
// as one, never as 453.12499… Decimals are made only for the result. (It is also what makes a 360-instalment
// schedule cheap: bench/schedule.ts.)
//
// Decisions (also in docs/decisions.md, "Schedules"):
// - Equal instalments use the annuity (PMT) formula on the periodic rate over the amortizing instalments,
//   rounded to the product's multiple. Each instalment's principal is the instalment less that period's interest.
// - Interest per day: each period's interest is its actual day count × the daily rate on the outstanding
//   principal, but the level instalment is still the PMT on the periodic rate. Months of 28–31 days make the
//   interest, and so the principal, differ a little from the pure annuity; the last instalment absorbs the
//   difference (as Mambu and Apache Fineract do) rather than the instalment being re-solved for the calendar.
// - A broken (short or long) first period earns interest by the day count over its dates; the instalment stays
//   level, so a long first period repays less principal and a short one more, and the last instalment absorbs it.
// - With 30-day months, a whole period of N months counts 30·N days, whatever the calendar (Fineract does the
//   same); the 30/360 rule (dayCount.ts) counts only broken periods.
// - Deferred interest (grace on interest for N periods): interest still accrues in those periods and falls due
//   with the first instalment after the grace, as Apache Fineract's "grace on interest payment" does
//   (LoanApplicationTerms: interest "brought forward due to grace" is added to the first period after it). It is
//   not capitalised: principal and balances are exactly those of the same loan without the grace.
// - Flat interest: principal × the sum of the periods' interest factors (rate × term), spread in equal shares
//   over the instalments, the last taking the rounding remainder.
// - Where Apache Fineract's convention differs, the terms may name it (product.ts: levelInstalmentBasis,
//   equalPrincipalRounding, flatInstalmentRounding; dayCount.ts: Fineract's two "Actual" years), so that a
//   migrated lender's schedules match Fineract's to the cent (test/domain/servicing/fineractReference.test.ts).
import type { Decimal as DecimalJs } from 'decimal.js';
import { InvalidField } from '../../errors.js';
import { AMOUNT_CEILING, Decimal, fromMinorUnits, minorUnits } from '../money.js';
import { fixedDaysInYear, yearFractionRatio } from './dayCount.js';
import { repaymentPeriods, type FirstPeriod, type RepaymentPeriod } from './dueDates.js';
import { assertValidTerms, principalFreePeriods, type FeeOnDate, type LoanTerms, type RoundingMode } from './product.js';

export interface ScheduleRequest {
  /** The principal the borrower borrows, in the terms' currency. */
  principal: Decimal | string;
  disbursementDate: string;
  /** When absent, the first repayment falls one whole period after disbursement. */
  firstRepaymentDate?: string | undefined;
}

export interface Instalment {
  number: number;
  fromDate: string;
  dueDate: string;
  principal: Decimal;
  interest: Decimal;
  fee: Decimal;
  /** Always zero when generated: penalties arise from lateness, after booking. */
  penalty: Decimal;
  total: Decimal;
  /** Principal still owed once this instalment is paid. */
  outstandingPrincipal: Decimal;
}

export interface ScheduleTotals {
  principal: Decimal;
  interest: Decimal;
  fee: Decimal;
  penalty: Decimal;
  total: Decimal;
}

export interface Schedule {
  currency: string;
  /** What the borrower borrowed. */
  principal: Decimal;
  /** What the schedule repays: the principal plus a financed disbursement fee. */
  financedPrincipal: Decimal;
  /** What is paid out: the principal less a deducted disbursement fee. */
  netDisbursement: Decimal;
  disbursementFee: Decimal;
  firstPeriod: FirstPeriod;
  /**
   * The level instalment (principal + interest, before fees) of equal-instalment and flat loans; the equal
   * principal part of equal-principal loans; null for a bullet.
   */
  levelAmount: Decimal | null;
  instalments: Instalment[];
  totals: ScheduleTotals;
}

const DECIMAL_ROUNDING: Record<RoundingMode, DecimalJs.Rounding> = {
  'half-even': Decimal.ROUND_HALF_EVEN,
  'half-up': Decimal.ROUND_HALF_UP,
  down: Decimal.ROUND_DOWN,
  up: Decimal.ROUND_UP,
};

/** numerator / denominator rounded to a whole number by `mode`; both non-negative, the denominator positive. */
export function roundedQuotient(numerator: bigint, denominator: bigint, mode: RoundingMode): bigint {
  const quotient = numerator / denominator;
  const remainder = numerator - quotient * denominator;
  if (remainder === 0n || mode === 'down') return quotient;
  if (mode === 'up') return quotient + 1n;
  const twice = remainder * 2n;
  if (twice > denominator) return quotient + 1n;
  if (twice < denominator) return quotient;
  return mode === 'half-up' || quotient % 2n === 1n ? quotient + 1n : quotient;
}

/** A fraction of a year as whole numbers. */
interface Ratio {
  numerator: bigint;
  denominator: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** The year fraction one whole repayment period stands for: months / 12, weeks / 52, or days / days in year. */
function wholePeriodYears(terms: LoanTerms): Ratio {
  const { every, unit } = terms.repaymentEvery;
  const denominator = unit === 'months' ? 12 : unit === 'weeks' ? 52 : (fixedDaysInYear(terms.daysInYear) ?? 365);
  return { numerator: BigInt(every), denominator: BigInt(denominator) };
}

/** The year fraction a period earns interest for (see the decisions above). */
function periodYears(terms: LoanTerms, period: RepaymentPeriod, wholePeriod: Ratio): Ratio {
  if (period.whole) {
    if (terms.interestCalculation === 'per-repayment-period') return wholePeriod;
    if (terms.daysInMonth === 30 && terms.repaymentEvery.unit === 'months') {
      return { numerator: BigInt(30 * terms.repaymentEvery.every), denominator: BigInt(fixedDaysInYear(terms.daysInYear)!) };
    }
  }
  const { numerator, denominator } = yearFractionRatio(period.fromDate, period.dueDate, terms);
  return { numerator: BigInt(numerator), denominator: BigInt(denominator) };
}

/** The rate one whole repayment period earns: annual × months / 12, × weeks / 52, or × days / days in year. */
export function periodicRate(terms: LoanTerms): Decimal {
  const years = wholePeriodYears(terms);
  return terms.annualRatePercent.div(100).times(years.numerator.toString()).div(years.denominator.toString());
}

/** The level payment that repays `principal` over `count` periods at `rate` per period (the annuity formula). */
export function annuityPayment(principal: Decimal, rate: Decimal, count: number): Decimal {
  if (rate.isZero()) return principal.div(count);
  return principal.times(rate).div(new Decimal(1).minus(rate.plus(1).pow(-count)));
}

function periodsOf(terms: LoanTerms, request: ScheduleRequest) {
  try {
    return repaymentPeriods(terms.repaymentEvery, {
      disbursementDate: request.disbursementDate,
      firstRepaymentDate: request.firstRepaymentDate,
      numberOfRepayments: terms.numberOfRepayments,
    });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const field = request.firstRepaymentDate !== undefined && error.message.includes(request.firstRepaymentDate) ? 'firstRepaymentDate' : 'disbursementDate';
    throw new InvalidField(field, error.message);
  }
}

/** Converts between Decimal amounts and whole minor units of one currency. */
function minorUnitsOf(currency: string) {
  const places = minorUnits(currency);
  const scale = new Decimal(10).pow(places);
  return {
    places,
    isWhole: (amount: Decimal) => amount.isFinite() && amount.decimalPlaces() <= places,
    toMinor: (amount: Decimal): bigint => BigInt(amount.times(scale).toFixed(0)),
    toDecimal: (minor: bigint): Decimal => fromMinorUnits(minor, places),
  };
}

/**
 * The level payment that repays `principal` (minor units) when period k earns numerators[k] / denominators[k]:
 * P × Π(1 + r) / Σₖ Π_{j>k}(1 + r_j), the annuity over unequal period rates (Apache Fineract's progressive EMI).
 */
export function levelOverPeriodRates(principal: bigint, numerators: bigint[], denominators: bigint[]): Decimal {
  const growth = numerators.map((numerator, k) => new Decimal(numerator.toString()).div(denominators[k]!.toString()).plus(1));
  let product = new Decimal(1);
  let sum = new Decimal(0);
  // From the last period back: sum gathers Π_{j>k}(1 + r_j) for each k, product the whole Π(1 + r).
  for (let k = growth.length - 1; k >= 0; k -= 1) {
    sum = sum.plus(product);
    product = product.times(growth[k]!);
  }
  return new Decimal(principal.toString()).times(product).div(sum);
}

interface Evening {
  amortizingCount: number;
  fee: bigint;
  units: ReturnType<typeof minorUnitsOf>;
  mode: RoundingMode;
  toMultiple: (minor: bigint) => bigint;
  instalmentsFor: (level: bigint) => { instalments: Instalment[]; interestTotal: bigint };
}

/**
 * Apache Fineract's EMI adjustment (ProgressiveEMICalculator.checkAndAdjustEmiIfNeededOnRelatedRepaymentPeriods,
 * EmiAdjustment): when the last instalment differs from the level one by more than half the number of
 * instalments (rounded down) in hundredths of the currency, the difference divided by the number of instalments
 * is added to the level instalment; the new level is kept only if the last instalment then differs less. At
 * most three times.
 */
function evenedOut(level: bigint, built: ReturnType<Evening['instalmentsFor']>, e: Evening): { level: bigint; built: ReturnType<Evening['instalmentsFor']> } {
  const half = BigInt(Math.floor(e.amortizingCount / 2));
  // Fineract compares the difference × 100 in the currency's major unit; in minor units that is × 100 / 10^places.
  const minorPerUnit = 10n ** BigInt(e.units.places);
  const lastDifference = (b: typeof built, l: bigint): bigint => {
    const last = b.instalments[b.instalments.length - 1]!;
    return e.units.toMinor(last.total) - e.fee - l;
  };
  const abs = (x: bigint) => (x < 0n ? -x : x);
  for (let pass = 0; pass < 3; pass += 1) {
    const difference = lastDifference(built, level);
    if (half === 0n || difference === 0n || abs(difference) * 100n <= half * minorPerUnit) break;
    const step = roundedQuotient(abs(difference), BigInt(e.amortizingCount), e.mode);
    const adjusted = e.toMultiple(level + (difference < 0n ? -step : step));
    if (adjusted === level) break;
    const trial = e.instalmentsFor(adjusted);
    if (abs(lastDifference(trial, adjusted)) >= abs(difference)) break;
    level = adjusted;
    built = trial;
  }
  return { level, built };
}

export function generateSchedule(terms: LoanTerms, request: ScheduleRequest): Schedule {
  assertValidTerms(terms);
  const mode = terms.roundingMode;
  const units = minorUnitsOf(terms.currency);

  const principal = new Decimal(request.principal);
  if (!units.isWhole(principal) || !principal.gt(0)) {
    throw new InvalidField('principal', `the principal must be a positive amount in whole minor units of ${terms.currency}`);
  }
  const feeTerms = terms.fees.disbursement;
  const disbursementFee = feeTerms?.amount ?? new Decimal(0);
  const financedPrincipal = feeTerms?.treatment === 'financed' ? principal.plus(disbursementFee) : principal;
  const netDisbursement = feeTerms?.treatment === 'deducted' ? principal.minus(disbursementFee) : principal;
  if (!netDisbursement.gt(0)) throw new InvalidField('fees.disbursement.amount', 'a deducted disbursement fee must be less than the principal');

  const { periods, firstPeriod } = periodsOf(terms, request);
  const n = periods.length;
  const principalFree = principalFreePeriods(terms);
  const amortizingCount = n - principalFree;
  const amortizeBy = terms.amortization.kind === 'interest-only' ? terms.amortization.then : terms.amortization.kind;
  const flat = terms.interestType === 'flat';

  // Interest on a balance = balance × rate % / 100 × years: one exact fraction per period.
  const [rateNumerator, rateDenominator] = terms.annualRatePercent.toFraction().map((part) => BigInt(part.toFixed(0))) as [bigint, bigint];
  const wholePeriod = wholePeriodYears(terms);
  const years = periods.map((period) => periodYears(terms, period, wholePeriod));
  const factorNumerators = years.map((y) => rateNumerator * y.numerator);
  const factorDenominators = years.map((y) => rateDenominator * 100n * y.denominator);

  const financed = units.toMinor(financedPrincipal);
  const multiple = units.toMinor(terms.instalmentMultiple);
  const count = BigInt(n);
  const amortizing = BigInt(amortizingCount);

  // Flat interest is known up front: the whole term's interest on the financed principal, in equal shares.
  let flatInterest = 0n;
  let flatShare = 0n;
  if (flat) {
    let sum: Ratio = { numerator: 0n, denominator: 1n };
    for (const y of years) {
      const numerator = sum.numerator * y.denominator + y.numerator * sum.denominator;
      const denominator = sum.denominator * y.denominator;
      const divisor = gcd(numerator, denominator);
      sum = { numerator: numerator / divisor, denominator: denominator / divisor };
    }
    flatInterest = roundedQuotient(financed * rateNumerator * sum.numerator, rateDenominator * 100n * sum.denominator, mode);
    flatShare = roundedQuotient(flatInterest, count, mode);
    // Rounding every share up must not leave the last one negative.
    if (flatShare * (count - 1n) > flatInterest) flatShare = flatInterest / count;
  }

  // Rounds an amount of minor units to the product's multiple by its mode.
  const toMultiple = (minor: bigint): bigint => roundedQuotient(minor, multiple, mode) * multiple;
  // Apache Fineract's flat convention rounds principal and interest to the multiple apart (FlatInstalmentRounding);
  // its instalment is then principal share + interest share whether the loan amortizes by instalment or principal.
  const flatPartsApart = flat && terms.flatInstalmentRounding === 'principal-and-interest' && amortizeBy !== 'bullet';
  const levelIncludesInterest = amortizeBy === 'equal-instalments' || flatPartsApart;

  let level = 0n;
  if (flatPartsApart) {
    level = toMultiple(roundedQuotient(financed, amortizing, mode)) + toMultiple(flatShare);
  } else if (amortizeBy === 'equal-instalments') {
    if (flat) {
      level = roundedQuotient(financed * count + flatInterest * amortizing, amortizing * count * multiple, mode) * multiple;
    } else {
      // The annuity needs a power of the rate: computed in Decimal, then rounded to the multiple like the rest.
      const payment = terms.levelInstalmentBasis === 'period-days'
        ? levelOverPeriodRates(financed, factorNumerators.slice(principalFree), factorDenominators.slice(principalFree))
        : annuityPayment(new Decimal(financed.toString()), periodicRate(terms), amortizingCount);
      level = BigInt(payment.div(multiple.toString()).toDecimalPlaces(0, DECIMAL_ROUNDING[mode]).toFixed(0)) * multiple;
    }
  } else if (amortizeBy === 'equal-principal') {
    level = terms.equalPrincipalRounding === 'minor-unit' ? roundedQuotient(financed, amortizing, mode) : roundedQuotient(financed, amortizing * multiple, mode) * multiple;
  }

  const fee = units.toMinor(terms.fees.perInstalment);
  const zero = new Decimal(0);
  const feeAmount = units.toDecimal(fee);

  /** The instalments a level amount gives: each period's interest, principal, and what is left. */
  const instalmentsFor = (level: bigint): { instalments: Instalment[]; interestTotal: bigint } => {
    const levelTotal = units.toDecimal(level + fee);
    const instalments: Instalment[] = [];
    let balance = financed;
    // The balance's Decimal follows by subtraction, which costs less than making one from text.
    let outstanding = financedPrincipal;
    let deferredInterest = 0n;
    let flatAllocated = 0n;
    let interestTotal = 0n;
    for (let index = 0; index < n; index += 1) {
      const period = periods[index]!;
      const last = index === n - 1;
      let accrued: bigint;
      if (flat) {
        accrued = last ? flatInterest - flatAllocated : flatShare;
        flatAllocated += accrued;
      } else {
        accrued = roundedQuotient(balance * factorNumerators[index]!, factorDenominators[index]!, mode);
      }

      let principalPart: bigint;
      if (period.number <= principalFree) principalPart = 0n;
      else if (last) principalPart = balance;
      else if (levelIncludesInterest) principalPart = level > accrued ? level - accrued : 0n;
      else principalPart = level;
      if (principalPart > balance) principalPart = balance;

      let interest: bigint;
      if (period.number <= terms.grace.interestPeriods) {
        deferredInterest += accrued;
        interest = 0n;
      } else {
        interest = accrued + deferredInterest;
        deferredInterest = 0n;
      }

      balance -= principalPart;
      interestTotal += interest;
      const total = principalPart + interest + fee;
      const principalAmount = principalPart === 0n ? zero : units.toDecimal(principalPart);
      if (principalPart !== 0n) outstanding = balance === 0n ? zero : outstanding.minus(principalAmount);
      instalments.push({
        number: period.number,
        fromDate: period.fromDate,
        dueDate: period.dueDate,
        principal: principalAmount,
        interest: interest === 0n ? zero : units.toDecimal(interest),
        fee: feeAmount,
        penalty: zero,
        // Level instalments share one (immutable) Decimal: most of a long schedule is the same total.
        total: total === level + fee ? levelTotal : units.toDecimal(total),
        outstandingPrincipal: outstanding,
      });
    }
    return { instalments, interestTotal };
  };

  let built = instalmentsFor(level);
  if (terms.levelInstalmentBasis === 'period-days' && amortizeBy === 'equal-instalments' && !flat) {
    ({ level, built } = evenedOut(level, built, { amortizingCount, fee, units, mode, toMultiple, instalmentsFor }));
  }
  const { instalments, interestTotal } = built;

  const feeTotal = fee * count;
  return {
    currency: terms.currency,
    principal,
    financedPrincipal,
    netDisbursement,
    disbursementFee,
    firstPeriod,
    levelAmount: amortizeBy === 'bullet' ? null : units.toDecimal(level),
    instalments,
    totals: {
      principal: units.toDecimal(financed),
      interest: units.toDecimal(interestTotal),
      fee: units.toDecimal(feeTotal),
      penalty: zero,
      total: units.toDecimal(financed + interestTotal + feeTotal),
    },
  };
}

/**
 * Why a new loan's schedule cannot be booked or offered as it is, or null: an instalment multiple (or the currency's
 * cash rounding) coarse enough for this loan that it is repaid before its last instalment, or that an instalment
 * before the last comes to nothing. Checked for a new loan (newLoanSchedule.ts: booked, offered or previewed), never
 * on a booked loan's replay (a prepayment's recast of a small balance may end early, as the lender's rounding makes it).
 */
export function coarseScheduleProblem(schedule: Schedule, instalmentMultiple: Decimal): string | null {
  const before = schedule.instalments.slice(0, -1);
  const early = before.findIndex((instalment) => instalment.outstandingPrincipal.isZero());
  const empty = before.findIndex((instalment) => instalment.total.isZero());
  if (early < 0 && empty < 0) return null;
  const what = early >= 0 ? `would be repaid by instalment ${early + 1} of ${schedule.instalments.length}` : `would have nothing due in instalment ${empty + 1}`;
  return `with instalments in multiples of ${instalmentMultiple.toFixed()} ${schedule.currency}, ${schedule.financedPrincipal.toFixed()} ${schedule.currency} ${what}: the multiple is too coarse for this loan`;
}

/**
 * Why a new loan's schedule cannot be booked or offered as it is, or null: it amortizes, yet no instalment before
 * the last repays any principal (past its interest-only and grace instalments), so the last repays all of it — a
 * balloon nobody chose (a lender who wants one says `bullet`). A level instalment rounded to no more than a period's
 * interest does it: 10,000 at 12 % a year over 1,200 months is 100.0000066 a month, 100.00, exactly the interest.
 * Checked where coarseScheduleProblem is, and like it never on a booked loan's replay. Refused rather than the
 * instalment raised: docs/decisions.md, "Schedules".
 */
export function principalDeferredProblem(schedule: Schedule, terms: LoanTerms): string | null {
  const { instalments, currency } = schedule;
  const before = instalments.slice(principalFreePeriods(terms), -1);
  if (before.length === 0 || before.some((instalment) => !instalment.principal.isZero())) return null;
  const last = instalments[instalments.length - 1]!;
  const charges = last.fee.isZero() ? 'interest' : 'interest and fees';
  return `${schedule.financedPrincipal.toFixed()} ${currency} over ${instalments.length} instalments would repay no principal before the last, which would repay all of it (${last.total.toFixed()} ${currency}): the instalments before it would pay only ${charges}; fewer instalments repay principal as they go`;
}

/** Why a loan paid out on `disbursementDate` cannot have these fees on dates, or null: one falls due before it. */
export function feeBeforeDisbursementProblem(feesOnDates: readonly FeeOnDate[] | undefined, disbursementDate: string): string | null {
  const early = (feesOnDates ?? []).filter((fee) => fee.date < disbursementDate).sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0))[0];
  return early ? `the fee "${early.name}" falls due on ${early.date}, before the disbursement on ${disbursementDate}` : null;
}

/** Everything a loan on this schedule repays: principal, interest and instalment fees, and the terms' fees on dates. */
export function totalRepayable(schedule: Schedule, feesOnDates: readonly { amount: Decimal }[] = []): Decimal {
  return feesOnDates.reduce((total, fee) => total.plus(fee.amount), schedule.totals.total);
}

/**
 * Why a new loan cannot be offered or booked on this schedule, or null: what it would repay in all reaches the
 * amount ceiling (10^15), which no amount the API answers and no amount column reaches. Interest at a high rate on
 * a large principal does (1,000 % a year on 10^14 over a year repays about 10^15). Checked for a new loan
 * (newLoanSchedule.ts) before anything is written.
 */
export function beyondCeilingProblem(schedule: Schedule, feesOnDates: readonly { amount: Decimal }[] = []): string | null {
  const total = totalRepayable(schedule, feesOnDates);
  if (total.lt(AMOUNT_CEILING)) return null;
  const { currency } = schedule;
  return `${schedule.financedPrincipal.toFixed()} ${currency} on these terms would repay ${total.toFixed()} ${currency} in all (${schedule.totals.interest.toFixed()} ${currency} of interest): what a loan repays must be less than 10^15`;
}
