// Loan terms: everything about a product that decides a loan's schedule, snapshotted onto each loan when it is
// booked (DESIGN.md, "Configuration is snapshotted") so that editing the product never changes a booked loan.
// Plain data: a product version stores it as JSON, a loan copies it, the schedule generator reads it.
import { InvalidField } from '../../errors.js';
import { isDate } from '../calendar.js';
import { AMOUNT_CEILING, Decimal, isCurrency, minorUnits } from '../money.js';
import { DAYS_IN_YEAR, dayCountProblem, type DaysInMonth, type DaysInYear, type ThirtyDayMonths } from './dayCount.js';
import { frequencyProblem, type RepaymentFrequency } from './dueDates.js';

export type InterestType =
  /** Interest on the principal still outstanding. */
  | 'declining-balance'
  /** Interest on the original principal for the whole term, spread evenly over the instalments. */
  | 'flat';

export type Amortization =
  /** One level instalment (principal + interest), the annuity. */
  | { kind: 'equal-instalments' }
  /** The same principal in every instalment; interest on top. */
  | { kind: 'equal-principal' }
  /** All principal with the last instalment; interest as it falls due. */
  | { kind: 'bullet' }
  /** Interest only for the first `periods` instalments, then amortizing as `then`. */
  | { kind: 'interest-only'; periods: number; then: 'equal-instalments' | 'equal-principal' };

export type InterestCalculation =
  /**
   * Each whole repayment period earns the periodic rate (annual rate × months / 12, × weeks / 52, or × days /
   * days in year), whatever its calendar length; a broken first period earns by the day count.
   */
  | 'per-repayment-period'
  /** Each period earns by the day count over its actual dates (a daily rate × the period's days). */
  | 'per-day';

/** How amounts that are not whole minor units are rounded at the named rounding points. */
export type RoundingMode = 'half-even' | 'half-up' | 'down' | 'up';

/**
 * How the level instalment of an equal-instalment, declining-balance loan is found.
 *
 * - `periodic-rate` — Lendgraph's convention: the annuity (PMT) on the periodic rate (annual rate × months / 12,
 *   × weeks / 52, or × days / days in year), whatever the calendar; with per-day interest the last instalment
 *   absorbs what the calendar adds or takes.
 * - `period-days` — Apache Fineract's progressive schedule: the level instalment solved over each period's own
 *   rate by its day count (a 31-day month earns more than a 29-day one), then evened out as Fineract's EMI
 *   adjustment does (when the last instalment differs from the others by more than half the number of
 *   instalments in hundredths, the difference is spread over them; kept only if that brings the last one closer,
 *   at most three times).
 */
export type LevelInstalmentBasis = 'periodic-rate' | 'period-days';

export const LEVEL_INSTALMENT_BASES: readonly LevelInstalmentBasis[] = ['periodic-rate', 'period-days'];

/**
 * What the instalment multiple rounds on an equal-principal loan.
 *
 * - `multiple` — Lendgraph's convention: the equal principal part is rounded to the instalment multiple.
 * - `minor-unit` — Apache Fineract's: its "installment amount in multiples of" applies to level instalments only;
 *   the equal principal part is rounded to the currency's minor unit.
 */
export type EqualPrincipalRounding = 'multiple' | 'minor-unit';

export const EQUAL_PRINCIPAL_ROUNDINGS: readonly EqualPrincipalRounding[] = ['multiple', 'minor-unit'];

/**
 * How a flat loan's instalment meets the instalment multiple.
 *
 * - `instalment` — Lendgraph's convention: principal share plus interest share, rounded to the multiple as one
 *   amount.
 * - `principal-and-interest` — Apache Fineract's: the principal share and the interest share are each rounded to
 *   the multiple and added; the interest due stays the unrounded share, the principal takes the difference.
 */
export type FlatInstalmentRounding = 'instalment' | 'principal-and-interest';

export const FLAT_INSTALMENT_ROUNDINGS: readonly FlatInstalmentRounding[] = ['instalment', 'principal-and-interest'];

export type DisbursementFeeTreatment =
  /** Added to the principal the borrower repays (and pays interest on). */
  | 'financed'
  /** Kept back from the amount paid out; the borrower repays the full principal. */
  | 'deducted';

/** The APR methods an offer may use (apr.ts). */
export const APR_METHODS = ['eu', 'us'] as const;
export type AprMethodName = (typeof APR_METHODS)[number];

export interface LoanTerms {
  /** ISO 4217; amounts are kept to its minor units (`minorUnits` in money.ts). */
  currency: string;
  /** Nominal annual rate in percent: "14.9" is 14.9 % a year. */
  annualRatePercent: Decimal;
  interestType: InterestType;
  amortization: Amortization;
  interestCalculation: InterestCalculation;
  repaymentEvery: RepaymentFrequency;
  numberOfRepayments: number;
  daysInYear: DaysInYear;
  daysInMonth: DaysInMonth;
  /** The 30-day-month rule when `daysInMonth` is 30 (dayCount.ts); `us` when absent. */
  thirtyDayMonths?: ThirtyDayMonths;
  grace: {
    /** The first N instalments repay no principal (interest still falls due unless also under interest grace). */
    principalPeriods: number;
    /**
     * The first N instalments collect no interest; it still accrues and falls due with the first instalment
     * after the grace (deferred interest, as Apache Fineract's "grace on interest payment"). Never capitalised.
     */
    interestPeriods: number;
  };
  /** Level instalments (or equal principal parts) are rounded to a multiple of this: "0.01", "1", "100". */
  instalmentMultiple: Decimal;
  roundingMode: RoundingMode;
  // Where Lendgraph's conventions differ from Apache Fineract's, the other convention is one of these options so
  // that a lender migrating from Fineract gets the same schedule to the cent. Absent means Lendgraph's convention
  // (the first value of each), so terms stored before they existed make exactly the schedule they made.
  /** `periodic-rate` when absent (see LevelInstalmentBasis). */
  levelInstalmentBasis?: LevelInstalmentBasis;
  /** `multiple` when absent (see EqualPrincipalRounding). */
  equalPrincipalRounding?: EqualPrincipalRounding;
  /** `instalment` when absent (see FlatInstalmentRounding). */
  flatInstalmentRounding?: FlatInstalmentRounding;
  /**
   * How an offer's APR is worked out and disclosed: `eu` (Directive 2008/48/EC, one decimal) when absent, `us`
   * (Regulation Z Appendix J, two decimals) for loans the Truth in Lending Act covers.
   */
  aprMethod?: AprMethodName;
  fees: {
    /** A fixed fee due with every instalment. */
    perInstalment: Decimal;
    disbursement: { amount: Decimal; treatment: DisbursementFeeTreatment } | null;
  };
  // The terms below arrived after loans were first booked: optional here so that terms a service builds or stores
  // without them still type-check; `loanTerms` always fills them in, so stored JSON names them explicitly.
  /** What a borrower's prepayment may do to the rest of the schedule; both when absent. */
  prepayment?: { allowed: PrepaymentReschedule[] };
  /**
   * An instalment owing this much or less is not late: it does not make the loan overdue, count for days past
   * due, draw a late fee or penalty interest. It is still owed and collected with later money. Zero when absent.
   */
  underpaymentTolerance?: Decimal;
  /** Charged (as a penalty) once per instalment still owing more than the tolerance when its grace days are over. */
  lateFee?: LateFee | null;
  /** Annual penalty interest in percent on overdue principal, accrued by the loan's day count. Zero when absent. */
  penaltyRatePercent?: Decimal;
  /** Fees that fall due on fixed dates (an annual maintenance fee, a documentation fee). */
  feesOnDates?: FeeOnDate[];
}

export type PrepaymentReschedule =
  /** The remaining instalments keep their number and due dates; each is lower. */
  | 'reduceInstalment'
  /** The instalment stays what it was; fewer instalments are left. */
  | 'reduceTenor';

export const PREPAYMENT_RESCHEDULES: readonly PrepaymentReschedule[] = ['reduceInstalment', 'reduceTenor'];

export type LateFee =
  | { kind: 'fixed'; amount: Decimal; graceDays: number }
  /** A percentage of what the instalment still owes of principal, interest and fees (not of penalties). */
  | { kind: 'percentOfOverdue'; percent: Decimal; graceDays: number };

export interface FeeOnDate {
  date: string;
  amount: Decimal;
  /** How the borrower's statement names it: "Annual maintenance fee". */
  name: string;
}

/**
 * The most instalments any loan may have: 100 years monthly, 23 weekly, over 3 daily. A schedule is answered
 * whole, so the API's cost of a loan's instalments is this number (src/graph/limits.ts).
 */
export const MAX_REPAYMENTS = 1_200;

/** What a product allows a loan to be, as the lender set it on the product. */
export interface ProductLimits {
  currency: string;
  minPrincipal: Decimal;
  maxPrincipal: Decimal;
  /** The tenor in months: checked where repayments fall every N months (other frequencies have no month limit). */
  minTenorMonths: number;
  maxTenorMonths: number;
  /** The rates a priced loan may carry, in percent a year; absent where the loan takes the product's own rate. */
  annualRatePercent?: { min: Decimal; max: Decimal };
}

/** One version of a lender's product: what new loans are booked with until the next version. */
export interface LoanProductVersion {
  code: string;
  version: number;
  terms: LoanTerms;
  limits: ProductLimits;
}

type DecimalInput = Decimal | string;

/** What a lender must say; everything else has the usual default. */
export interface LoanTermsInput {
  currency: string;
  annualRatePercent: DecimalInput;
  numberOfRepayments: number;
  repaymentEvery?: RepaymentFrequency;
  interestType?: InterestType;
  amortization?: Amortization;
  interestCalculation?: InterestCalculation;
  daysInYear?: DaysInYear;
  daysInMonth?: DaysInMonth;
  thirtyDayMonths?: ThirtyDayMonths;
  grace?: { principalPeriods?: number; interestPeriods?: number };
  /** The currency's minor unit when absent (0.01 for USD, 1 for JPY). */
  instalmentMultiple?: DecimalInput;
  roundingMode?: RoundingMode;
  levelInstalmentBasis?: LevelInstalmentBasis;
  equalPrincipalRounding?: EqualPrincipalRounding;
  flatInstalmentRounding?: FlatInstalmentRounding;
  aprMethod?: AprMethodName;
  fees?: { perInstalment?: DecimalInput; disbursement?: { amount: DecimalInput; treatment: DisbursementFeeTreatment } | null };
  /** Both choices when absent. */
  prepayment?: { allowed?: PrepaymentReschedule[] };
  underpaymentTolerance?: DecimalInput;
  /** `graceDays` is 0 when absent: the fee is charged the day after the due date. */
  lateFee?:
    | { kind: 'fixed'; amount: DecimalInput; graceDays?: number }
    | { kind: 'percentOfOverdue'; percent: DecimalInput; graceDays?: number }
    | null;
  penaltyRatePercent?: DecimalInput;
  feesOnDates?: { date: string; amount: DecimalInput; name: string }[];
}

/**
 * Complete terms from what the lender said: monthly, declining balance, equal instalments, interest per
 * repayment period, Actual/365, no grace, no fees, half-even rounding to the currency's minor unit.
 */
export function loanTerms(input: LoanTermsInput): LoanTerms {
  const terms: LoanTerms = {
    currency: input.currency,
    annualRatePercent: new Decimal(input.annualRatePercent),
    interestType: input.interestType ?? 'declining-balance',
    amortization: input.amortization ?? { kind: 'equal-instalments' },
    interestCalculation: input.interestCalculation ?? 'per-repayment-period',
    repaymentEvery: input.repaymentEvery ?? { every: 1, unit: 'months' },
    numberOfRepayments: input.numberOfRepayments,
    daysInYear: input.daysInYear ?? 365,
    daysInMonth: input.daysInMonth ?? 'actual',
    grace: { principalPeriods: input.grace?.principalPeriods ?? 0, interestPeriods: input.grace?.interestPeriods ?? 0 },
    instalmentMultiple: new Decimal(input.instalmentMultiple ?? minorUnit(input.currency)),
    roundingMode: input.roundingMode ?? 'half-even',
    fees: {
      perInstalment: new Decimal(input.fees?.perInstalment ?? 0),
      disbursement: input.fees?.disbursement
        ? { amount: new Decimal(input.fees.disbursement.amount), treatment: input.fees.disbursement.treatment }
        : null,
    },
  };
  if (input.thirtyDayMonths !== undefined) terms.thirtyDayMonths = input.thirtyDayMonths;
  // Named only when the lender chose them, so that terms without them store and compare as they always did.
  if (input.levelInstalmentBasis !== undefined) terms.levelInstalmentBasis = input.levelInstalmentBasis;
  if (input.equalPrincipalRounding !== undefined) terms.equalPrincipalRounding = input.equalPrincipalRounding;
  if (input.flatInstalmentRounding !== undefined) terms.flatInstalmentRounding = input.flatInstalmentRounding;
  if (input.aprMethod !== undefined) terms.aprMethod = input.aprMethod;
  terms.prepayment = { allowed: [...(input.prepayment?.allowed ?? PREPAYMENT_RESCHEDULES)] };
  terms.underpaymentTolerance = new Decimal(input.underpaymentTolerance ?? 0);
  const lateFee = input.lateFee;
  terms.lateFee = !lateFee
    ? null
    : lateFee.kind === 'percentOfOverdue'
      ? { kind: 'percentOfOverdue', percent: new Decimal(lateFee.percent), graceDays: lateFee.graceDays ?? 0 }
      : { kind: lateFee.kind, amount: new Decimal((lateFee as { amount: DecimalInput }).amount), graceDays: lateFee.graceDays ?? 0 };
  terms.penaltyRatePercent = new Decimal(input.penaltyRatePercent ?? 0);
  terms.feesOnDates = (input.feesOnDates ?? []).map((f) => ({ date: f.date, amount: new Decimal(f.amount), name: f.name }));
  return terms;
}

/** Terms as stored with a product version or a loan: plain JSON, amounts as decimal strings, every field explicit. */
export function termsToJson(terms: LoanTerms): Record<string, unknown> {
  return JSON.parse(JSON.stringify(terms)) as Record<string, unknown>;
}

/** Stored terms back, checked: a version that cannot make a schedule is refused, naming the term. */
export function termsFromJson(json: unknown): LoanTerms {
  const terms = loanTerms(json as LoanTermsInput);
  assertValidTerms(terms);
  return terms;
}

/** The smallest amount of the currency: 0.01 for USD, 1 for JPY, 0.001 for KWD. */
export function minorUnit(currency: string): Decimal {
  return new Decimal(10).pow(-minorUnits(currency));
}

/** Instalments at the start that repay no principal: interest-only periods, then grace on principal. */
export function principalFreePeriods(terms: LoanTerms): number {
  if (terms.amortization.kind === 'bullet') return terms.numberOfRepayments - 1;
  const interestOnly = terms.amortization.kind === 'interest-only' ? terms.amortization.periods : 0;
  return interestOnly + terms.grace.principalPeriods;
}

function hasAtMostDecimals(value: Decimal, places: number): boolean {
  return value.isFinite() && value.decimalPlaces() <= places;
}

/** Throws InvalidField naming the first term that cannot make a schedule. */
export function assertValidTerms(terms: LoanTerms): void {
  if (!isCurrency(terms.currency)) throw new InvalidField('currency', 'currency must be an ISO 4217 code');
  const places = minorUnits(terms.currency);
  if (!isRate(terms.annualRatePercent)) {
    throw new InvalidField('annualRatePercent', `the annual rate must be a percentage from 0 to ${MAX_RATE_PERCENT}`);
  }
  if (!['declining-balance', 'flat'].includes(terms.interestType)) throw new InvalidField('interestType', 'interest type must be declining-balance or flat');
  if (!['per-repayment-period', 'per-day'].includes(terms.interestCalculation)) {
    throw new InvalidField('interestCalculation', 'interest is calculated per-repayment-period or per-day');
  }
  if (!['half-even', 'half-up', 'down', 'up'].includes(terms.roundingMode)) throw new InvalidField('roundingMode', 'rounding mode must be half-even, half-up, down or up');
  const frequency = frequencyProblem(terms.repaymentEvery);
  if (frequency) throw new InvalidField('repaymentEvery', frequency);
  if (!DAYS_IN_YEAR.includes(terms.daysInYear)) throw new InvalidField('daysInYear', 'days in year must be actual, fineract-cumulative-actual, fineract-progressive-actual, 360, 364 or 365');
  const dayCount = dayCountProblem(terms);
  if (dayCount) throw new InvalidField('daysInMonth', dayCount);
  assertValidConventions(terms);
  const n = terms.numberOfRepayments;
  if (!Number.isInteger(n) || n < 1 || n > MAX_REPAYMENTS) throw new InvalidField('numberOfRepayments', `the number of repayments must be a whole number from 1 to ${MAX_REPAYMENTS}`);
  const amortization = terms.amortization;
  if (!['equal-instalments', 'equal-principal', 'bullet', 'interest-only'].includes(amortization.kind)) {
    throw new InvalidField('amortization', 'amortization must be equal-instalments, equal-principal, bullet or interest-only');
  }
  if (amortization.kind === 'interest-only') {
    if (!Number.isInteger(amortization.periods) || amortization.periods < 0) throw new InvalidField('amortization.periods', 'interest-only periods must be a whole number');
    if (amortization.then !== 'equal-instalments' && amortization.then !== 'equal-principal') {
      throw new InvalidField('amortization.then', 'after interest-only the loan amortizes by equal-instalments or equal-principal');
    }
  }
  for (const key of ['principalPeriods', 'interestPeriods'] as const) {
    const periods = terms.grace[key];
    if (!Number.isInteger(periods) || periods < 0 || periods >= n) {
      throw new InvalidField(`grace.${key}`, 'grace periods must be a whole number smaller than the number of repayments');
    }
  }
  if (amortization.kind !== 'bullet' && principalFreePeriods(terms) >= n) {
    throw new InvalidField('grace.principalPeriods', 'interest-only and principal grace periods must leave at least one instalment to repay principal');
  }
  if (!isAmount(terms.instalmentMultiple, places) || !terms.instalmentMultiple.gt(0)) {
    throw new InvalidField('instalmentMultiple', `the instalment multiple must be a positive amount in whole minor units of ${terms.currency}`);
  }
  if (!isAmount(terms.fees.perInstalment, places)) {
    throw new InvalidField('fees.perInstalment', `the instalment fee must be zero or more, in whole minor units of ${terms.currency}`);
  }
  const disbursementFee = terms.fees.disbursement;
  if (disbursementFee) {
    if (!isAmount(disbursementFee.amount, places)) {
      throw new InvalidField('fees.disbursement.amount', `the disbursement fee must be zero or more, in whole minor units of ${terms.currency}`);
    }
    if (disbursementFee.treatment !== 'financed' && disbursementFee.treatment !== 'deducted') {
      throw new InvalidField('fees.disbursement.treatment', 'a disbursement fee is financed or deducted');
    }
  }
  assertValidCharges(terms, places);
}

/** The options that choose Apache Fineract's convention where it differs; each may be absent, never unknown. */
function assertValidConventions(terms: LoanTerms): void {
  const options: [keyof LoanTerms, unknown, readonly string[]][] = [
    ['levelInstalmentBasis', terms.levelInstalmentBasis, LEVEL_INSTALMENT_BASES],
    ['equalPrincipalRounding', terms.equalPrincipalRounding, EQUAL_PRINCIPAL_ROUNDINGS],
    ['flatInstalmentRounding', terms.flatInstalmentRounding, FLAT_INSTALMENT_ROUNDINGS],
    ['aprMethod', terms.aprMethod, APR_METHODS],
  ];
  for (const [field, value, allowed] of options) {
    if (value !== undefined && !allowed.includes(value as string)) throw new InvalidField(field, `${field} must be ${allowed.join(' or ')}`);
  }
}

function isAmount(value: unknown, places: number): boolean {
  return value instanceof Decimal && !value.isNegative() && value.lt(AMOUNT_CEILING) && hasAtMostDecimals(value, places);
}

/** The highest rate any term may carry, in percent a year (docs/input-limits.md). */
export const MAX_RATE_PERCENT = 1000;

function isRate(value: unknown): boolean {
  return value instanceof Decimal && value.isFinite() && !value.isNegative() && value.lte(MAX_RATE_PERCENT);
}

/**
 * Throws InvalidField when a fixed amount of the terms (a fee, the tolerance, the instalment multiple) is more than
 * the largest principal the product lends: no lender charges a fee larger than the loan.
 */
export function assertAmountsWithinProduct(terms: LoanTerms, maxPrincipal: Decimal): void {
  const amounts: [string, Decimal | undefined][] = [
    ['fees.perInstalment', terms.fees.perInstalment],
    ['fees.disbursement.amount', terms.fees.disbursement?.amount],
    ['instalmentMultiple', terms.instalmentMultiple],
    ['underpaymentTolerance', terms.underpaymentTolerance],
    ['lateFee.amount', terms.lateFee?.kind === 'fixed' ? terms.lateFee.amount : undefined],
    ...(terms.feesOnDates ?? []).map((fee, k): [string, Decimal] => [`feesOnDates[${k}].amount`, fee.amount]),
  ];
  for (const [field, amount] of amounts) {
    if (amount && amount.gt(maxPrincipal)) {
      throw new InvalidField(field, `${field} may not be more than the product's largest principal, ${maxPrincipal.toFixed()} ${terms.currency}`);
    }
  }
}

/** A late fee's grace: whole days after the due date, from 0 to 366 (a year). */
export function assertLateFeeGraceDays(days: number, field: string): void {
  if (!Number.isInteger(days) || days < 0 || days > 366) throw new InvalidField(field, 'grace days are a whole number from 0 to 366');
}

/** The prepayment, tolerance and charge terms; each may be absent (older terms), never malformed. */
function assertValidCharges(terms: LoanTerms, places: number): void {
  const allowed = terms.prepayment?.allowed;
  if (terms.prepayment !== undefined && (!Array.isArray(allowed) || allowed.some((a) => !PREPAYMENT_RESCHEDULES.includes(a)))) {
    throw new InvalidField('prepayment.allowed', 'a prepayment may reduceInstalment or reduceTenor');
  }
  if (terms.underpaymentTolerance !== undefined && !isAmount(terms.underpaymentTolerance, places)) {
    throw new InvalidField('underpaymentTolerance', `the underpayment tolerance must be zero or more, in whole minor units of ${terms.currency}`);
  }
  const lateFee = terms.lateFee;
  if (lateFee) {
    assertLateFeeGraceDays(lateFee.graceDays, 'lateFee.graceDays');
    if (lateFee.kind === 'fixed') {
      if (!isAmount(lateFee.amount, places)) throw new InvalidField('lateFee.amount', `a late fee must be zero or more, in whole minor units of ${terms.currency}`);
    } else if (lateFee.kind === 'percentOfOverdue') {
      if (!isRate(lateFee.percent) || lateFee.percent.gt(100)) throw new InvalidField('lateFee.percent', 'a late fee percentage is from 0 to 100');
    } else {
      throw new InvalidField('lateFee.kind', 'a late fee is fixed or percentOfOverdue');
    }
  }
  if (terms.penaltyRatePercent !== undefined && !isRate(terms.penaltyRatePercent)) {
    throw new InvalidField('penaltyRatePercent', `the penalty rate must be a percentage from 0 to ${MAX_RATE_PERCENT}`);
  }
  (terms.feesOnDates ?? []).forEach((fee, k) => {
    if (!isDate(fee.date)) {
      throw new InvalidField(`feesOnDates[${k}].date`, 'a fee falls due on a business date (YYYY-MM-DD)');
    }
    if (!isAmount(fee.amount, places) || fee.amount.isZero()) {
      throw new InvalidField(`feesOnDates[${k}].amount`, `a fee must be more than zero, in whole minor units of ${terms.currency}`);
    }
    if (typeof fee.name !== 'string' || fee.name.trim() === '') throw new InvalidField(`feesOnDates[${k}].name`, 'a fee needs a name for the statement');
  });
}

/** A loan as it is asked for: an application, a booking, an offer, a schedule preview. */
export interface LoanAsked {
  principal: Decimal;
  numberOfRepayments: number;
  every: RepaymentFrequency;
  /** Only where the loan is priced at a rate of its own (an offer). */
  annualRatePercent?: Decimal;
}

/**
 * The one product-limit rule, wherever a loan is asked for: the principal in whole minor units within the
 * product's range, a whole number of repayments whose tenor falls within the product's months, and a priced rate
 * within the product's band. Errors name the field as the caller's input does.
 */
export function assertWithinProduct(
  limits: ProductLimits, loan: LoanAsked,
  /** What the caller's input calls them (an application asks for an `amount`). */
  names: { principal: string; numberOfRepayments: string } = { principal: 'principal', numberOfRepayments: 'numberOfRepayments' },
): void {
  const { principal, numberOfRepayments, every, annualRatePercent: rate } = loan;
  if (!principal.isFinite() || principal.decimalPlaces() > minorUnits(limits.currency)) {
    throw new InvalidField(names.principal, `${names.principal} must be in whole minor units of ${limits.currency}`);
  }
  if (principal.lt(limits.minPrincipal) || principal.gt(limits.maxPrincipal)) {
    throw new InvalidField(names.principal, `${names.principal} must be from ${limits.minPrincipal.toString()} to ${limits.maxPrincipal.toString()} ${limits.currency}`);
  }
  const months = every.unit === 'months' ? numberOfRepayments * every.every : null;
  if (!Number.isInteger(numberOfRepayments) || numberOfRepayments < 1 || (months !== null && (months < limits.minTenorMonths || months > limits.maxTenorMonths))) {
    throw new InvalidField(names.numberOfRepayments, `the tenor must be from ${limits.minTenorMonths} to ${limits.maxTenorMonths} months`);
  }
  const band = limits.annualRatePercent;
  if (rate !== undefined && band !== undefined && (rate.lt(band.min) || rate.gt(band.max))) {
    throw new InvalidField('annualRatePercent', `the annual rate must be from ${band.min.toString()} % to ${band.max.toString()} %`);
  }
}
